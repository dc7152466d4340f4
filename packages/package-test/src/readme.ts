// What a package README promises a user, read the way the package test checks it: the main
// example, its expected output, the codes of the Errors section and the links.

/** FencedBlock is one fenced code block of a Markdown file: its info string and its text. */
export interface FencedBlock {
  readonly info: string;
  readonly code: string;
  /** line is the 1-based line of the opening fence. */
  readonly line: number;
}

/** MainExample is a README's main example and the output the README shows after it. */
export interface MainExample {
  readonly code: string;
  readonly line: number;
  /** expectedOutput are the lines of the ```text block right after the example, if any. */
  readonly expectedOutput: readonly string[];
}

/** fencedBlocks lists the fenced code blocks (``` or ~~~, three or more) of a Markdown text. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split("\n");
  const blocks: FencedBlock[] = [];
  let open: { fence: string; info: string; line: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (open === undefined) {
      const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
      if (m !== null) open = { fence: m[1]!, info: m[2]!.trim(), line: i + 1, body: [] };
    } else if (new RegExp(`^ {0,3}${open.fence[0]}{${open.fence.length},}\\s*$`).test(line)) {
      blocks.push({ info: open.info, code: `${open.body.join("\n")}\n`, line: open.line });
      open = undefined;
    } else {
      open.body.push(line);
    }
  }
  return blocks;
}

/**
 * mainExample is the README's main example: by convention the first fenced block whose info
 * string is exactly `js` (plain JavaScript ESM importing the package by its public name, which
 * runs as `example.mjs` in a blank project and exits by itself). When the next fenced block of the
 * README has the info string `text` and nothing but prose lies between them, its lines are the
 * output the example prints. Undefined when the README has no `js` block.
 */
export function mainExample(markdown: string): MainExample | undefined {
  const blocks = fencedBlocks(markdown);
  const i = blocks.findIndex((b) => b.info === "js");
  if (i < 0) return undefined;
  const block = blocks[i]!;
  const next = blocks[i + 1];
  const expectedOutput =
    next?.info === "text" ? next.code.split("\n").filter((l) => l.trim() !== "") : [];
  return { code: block.code, line: block.line, expectedOutput };
}

/** section is the text under the `## <title>` heading, up to the next heading of level 1 or 2. */
export function section(markdown: string, title: string): string | undefined {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^#{1,2} /.test(l));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n");
}

/**
 * documentedErrorCodes are the error codes the README's `## Errors` section names: every
 * inline-code span that is an upper-case code (`BAD_OPTION`, `UNSUPPORTED`), sorted, once each.
 */
export function documentedErrorCodes(markdown: string): string[] {
  const errors = section(markdown, "Errors");
  if (errors === undefined) return [];
  const codes = new Set<string>();
  for (const m of errors.matchAll(/`([^`\n]+)`/g)) {
    if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/.test(m[1]!) && m[1]!.length >= 3) codes.add(m[1]!);
  }
  return [...codes].sort();
}

/** MarkdownLink is the target of one Markdown link or image, with its line. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/**
 * markdownLinks lists the targets of the inline links and images (`[text](target)`) and of the
 * link definitions (`[label]: target`) outside code blocks and code spans.
 */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fence: string | undefined;
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f !== null) {
      if (fence === undefined) fence = f[1]!;
      else if (f[1]!.startsWith(fence) && line.trim() === f[1]) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const text = line.replace(/`[^`]*`/g, "``");
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(text);
    if (definition !== null) links.push({ target: definition[1]!, line: i + 1 });
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: m[1]!, line: i + 1 });
    }
  }
  return links;
}
