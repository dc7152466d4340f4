// Runs the demo CLI as a user would (tsx src/main.ts …) in its own process group, for the tests.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Child,
  type Finished,
  killAtCleanup,
  startChild,
  tempDir,
  waitUntil,
} from "@framewire/test-support/peers";
import type { DemoSummary } from "../src/demo.js";

const demoDir = fileURLToPath(new URL("..", import.meta.url));

/** DemoRun is a running demo: its output so far, and the summary once it ended. */
export interface DemoRun {
  readonly child: Child;
  readonly outDir: string;
  /** output is what it printed so far (stdout). */
  output(): string;
  /** line waits for a printed line matching `re` and returns the match. */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** finished waits for the exit and reads summary.json (undefined when it wrote none). */
  finished(): Promise<{ exit: Finished; summary: DemoSummary | undefined }>;
}

/**
 * startDemo runs `tsx src/main.ts args --out <tmp>` under a hard deadline; the demo is killed and
 * the folder removed at cleanup (`runCleanups`).
 */
export function startDemo(args: readonly string[], timeoutMs: number): DemoRun {
  const outDir = tempDir("framewire-demo-test-");
  const child = killAtCleanup(
    startChild(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@framewire/source",
        "src/main.ts",
        ...args,
        "--out",
        outDir,
      ],
      { cwd: demoDir, timeoutMs },
    ),
  );
  return {
    child,
    outDir,
    output: () => child.output().stdout,
    async line(re, wait = 20_000) {
      let match: RegExpMatchArray | null = null;
      await waitUntil(() => {
        match = re.exec(child.output().stdout);
        return match !== null;
      }, wait);
      if (match === null) {
        const { stdout, stderr } = child.output();
        throw new Error(`no line ${re} in the demo's output:\n${stdout}\n${stderr}`);
      }
      return match;
    },
    async finished() {
      const exit = await child.done;
      let summary: DemoSummary | undefined;
      try {
        summary = JSON.parse(await readFile(join(outDir, "summary.json"), "utf8")) as DemoSummary;
      } catch {
        summary = undefined;
      }
      return { exit, summary };
    },
  };
}
