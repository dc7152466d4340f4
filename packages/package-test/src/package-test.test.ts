// The package test: every public package is built, packed with pnpm and installed from its
// tarball with npm into a blank project outside the workspace, the way a user gets it from the
// registry. There, each README's main example runs, a consumer type-checks against the
// installed declarations, and publint and attw check the tarballs.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryExportNames } from "./exports.js";
import { mainExample, markdownLinks } from "./readme.js";
import { describeRun, pnpmCommand, type RunResult, run, userEnv } from "./run.js";
import {
  type EntryPoint,
  entryPoints,
  type PublicPackage,
  publicPackages,
  WORKSPACE_ROOT,
} from "./workspace.js";

const PACKAGE_TEST_DIR = join(WORKSPACE_ROOT, "packages", "package-test");
/** NODE_FLOOR is the lowest Node our `engines` admit; every installed package must admit it. */
const NODE_FLOOR = "20.19.0";
const REPOSITORY_URL = "https://github.com/framewire/framewire";
const EXAMPLE_TIMEOUT_MS = 20_000;

const packages = publicPackages();
const short = (p: PublicPackage) => p.name.replace(/^@framewire\//, "");
/** entryFile names an entry point's consumer file: "rtp-video" for ".", "rtp-video-core" for "./core". */
const entryFile = (p: PublicPackage, e: EntryPoint) =>
  e.subpath === "." ? short(p) : `${short(p)}-${e.subpath.slice(2).replace(/[^\w-]/g, "-")}`;
/** CORE_SUBPATH is the entry point that promises declarations without Node's types. */
const CORE_SUBPATH = "./core";
const keep = process.env.FRAMEWIRE_KEEP_PACKAGE_TEST === "1";

let work = "";
let project = "";
const tarballs = new Map<string, string>();
const tarballFiles = new Map<string, readonly string[]>();
let install: RunResult | undefined;

/** binOf is the path of a dev dependency's CLI script, read from its package.json `bin`. */
function binOf(pkg: string, bin: string): string {
  const dir = join(PACKAGE_TEST_DIR, "node_modules", pkg);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    bin: string | Record<string, string>;
  };
  const path = typeof manifest.bin === "string" ? manifest.bin : manifest.bin[bin];
  if (path === undefined) throw new TypeError(`${pkg} has no bin ${bin}`);
  return join(dir, path);
}

function readme(p: PublicPackage): string {
  return readFileSync(join(p.dir, "README.md"), "utf8");
}

function lockfile(): { packages: Record<string, { resolved?: string; engines?: unknown }> } {
  return JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8"));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "framewire-package-test-"));
  project = join(work, "project");
  const packDir = join(work, "tarballs");
  mkdirSync(project);
  mkdirSync(packDir);

  // a clean build: what a clone without dist/ publishes
  for (const p of packages) rmSync(join(p.dir, "dist"), { recursive: true, force: true });
  const pnpm = pnpmCommand();
  const filters = packages.flatMap((p) => ["--filter", `./${p.folder}`]);
  const build = await run(pnpm.file, [...pnpm.args, ...filters, "run", "build"], {
    cwd: WORKSPACE_ROOT,
  });
  if (build.code !== 0) throw new Error(`build failed\n${describeRun(build)}`);

  for (const p of packages) {
    const before = new Set(readdirSync(packDir));
    const pack = await run(pnpm.file, [...pnpm.args, "pack", "--pack-destination", packDir], {
      cwd: p.dir,
    });
    const made = readdirSync(packDir).filter((f) => !before.has(f) && f.endsWith(".tgz"));
    if (pack.code !== 0 || made.length !== 1)
      throw new Error(`pnpm pack of ${p.name} failed\n${describeRun(pack)}`);
    const tgz = join(packDir, made[0]!);
    tarballs.set(p.name, tgz);
    const list = await run("tar", ["-tzf", tgz], { cwd: work });
    tarballFiles.set(
      p.name,
      list.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => l.replace(/^package\//, "")),
    );
  }

  // a blank project outside the workspace; all tarballs at once, so that the @framewire/*
  // dependencies among them resolve to the tarballs and not to the registry. node-av's install
  // scripts are denied (npm ≥ 11.16 asks for a decision and npm 12 blocks unreviewed ones):
  // @framewire/media loads node-av's prebuilt binary without them, as its README tells users
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ type: "module", private: true, allowScripts: { "node-av": false } }, null, 2)}\n`,
  );
  install = await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-update-notifier", ...tarballs.values()],
    { cwd: project, env: userEnv(), timeoutMs: 150_000 },
  );
}, 240_000);

afterAll(() => {
  if (work !== "" && !keep) rmSync(work, { recursive: true, force: true });
  else if (work !== "") console.log(`package test directory kept: ${work}`);
});

describe("npm install of the tarballs into a blank project", () => {
  it("exits 0 and prints no `npm warn` / `npm WARN` / `npm error` / `npm ERR!` line and no EBADENGINE", () => {
    expect(install, "npm install did not run").toBeDefined();
    const r = install!;
    const offending = `${r.stdout}\n${r.stderr}`
      .split("\n")
      .filter((l) => /^npm (warn|WARN|error|ERR!)/.test(l) || /EBADENGINE/.test(l));
    expect(offending, describeRun(r)).toEqual([]);
    expect(r.code, describeRun(r)).toBe(0);
  });

  it(`every installed package's engines.node admits Node ${NODE_FLOOR} (our floor), whatever Node runs this test`, () => {
    const excluding = Object.entries(lockfile().packages)
      .filter(([path]) => path !== "")
      .flatMap(([path, entry]) => {
        const node = (entry.engines as { node?: unknown } | undefined)?.node;
        return typeof node === "string" && !semver.satisfies(NODE_FLOOR, node)
          ? [`${path} engines.node ${node}`]
          : [];
      });
    expect(excluding).toEqual([]);
  });

  it("every @framewire/* package is installed once, at the top level, from its local tarball", () => {
    const entries = lockfile().packages;
    for (const p of packages) {
      expect(entries[`node_modules/${p.name}`]?.resolved, p.name).toMatch(/^file:/);
    }
    const nested = Object.keys(entries).filter((k) =>
      /node_modules\/.+\/node_modules\/@framewire\//.test(k),
    );
    expect(nested).toEqual([]);
  });
});

describe.each(packages)("$name as published", (p) => {
  it("the tarball holds LICENSE, README.md, the files its exports point at, and no test file", () => {
    const files = tarballFiles.get(p.name)!;
    const manifest = JSON.parse(readFileSync(join(p.dir, "package.json"), "utf8")) as {
      exports: Record<string, Record<string, string> | string | null>;
    };
    const targets = Object.values(manifest.exports).flatMap((e) =>
      e === null ? [] : typeof e === "string" ? [e] : Object.values(e),
    );
    for (const f of ["LICENSE", "README.md", "package.json", ...targets.map((t) => t.slice(2))])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /\.test\.ts$|(^|\/)test\//.test(f))).toEqual([]);
  });

  it("its package.json names repository (with directory), engines, license MIT, and no workspace: range", async () => {
    const r = await run("tar", ["-xOzf", tarballs.get(p.name)!, "package/package.json"], {
      cwd: work,
    });
    const manifest = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      license: "MIT",
      engines: { node: ">=20.19" },
      repository: { type: "git", url: `git+${REPOSITORY_URL}.git`, directory: p.folder },
    });
    expect(r.stdout).not.toMatch(/"workspace:/);
  });

  it("its README links only to files in the tarball or to absolute URLs, and never outside the repository", () => {
    const files = tarballFiles.get(p.name)!;
    const text = readme(p);
    const broken = markdownLinks(text).filter(({ target }) => {
      if (/^(https?:|mailto:|#)/.test(target)) return false;
      const path = target.replace(/#.*$/, "").replace(/^\.\//, "").replace(/\/$/, "");
      return !files.some((f) => f === path || f.startsWith(`${path}/`));
    });
    expect(broken).toEqual([]);
    expect(text).not.toMatch(/\.\.\/\.\.\/\.\.\/|\.\.\/shared\b/); // nothing beside the repository
    const repositoryLinks = markdownLinks(text).filter((l) => l.target.startsWith(REPOSITORY_URL));
    // the repository itself, or a path on its main branch
    for (const l of repositoryLinks)
      expect(l.target).toMatch(
        /^https:\/\/github\.com\/framewire\/framewire(\/(blob|tree)\/main\/\S+)?$/,
      );
  });

  it("its README's main example (the first ```js block) runs as example.mjs with node, exits 0 within 20 s and prints what the README shows", async () => {
    const example = mainExample(readme(p));
    expect(example, "README.md has no ```js block").toBeDefined();
    expect(example!.code).toContain(`from "${p.name}"`);
    const dir = join(project, short(p));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "example.mjs"), example!.code);
    const r = await run(process.execPath, ["example.mjs"], {
      cwd: dir,
      env: userEnv(),
      timeoutMs: EXAMPLE_TIMEOUT_MS,
    });
    expect(r.code, describeRun(r)).toBe(0);
    const printed = r.stdout.split("\n");
    let at = 0;
    for (const line of example!.expectedOutput) {
      const found = printed.indexOf(line, at);
      expect(
        found,
        `README line ${JSON.stringify(line)} not printed (in order)\n${describeRun(r)}`,
      ).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it("every value that each entry point's source (src/index.ts, …) exports is defined when the entry point is imported by name", async () => {
    const dir = join(project, "exports");
    mkdirSync(dir, { recursive: true });
    const entries = entryPoints(p);
    expect(entries.map((e) => e.subpath)).toContain(".");
    for (const e of entries) {
      const { values } = entryExportNames(join(p.dir, e.source));
      const file = join(dir, `${entryFile(p, e)}.mjs`);
      writeFileSync(
        file,
        `import * as api from "${e.specifier}";\n` +
          `const missing = ${JSON.stringify(values)}.filter((name) => api[name] === undefined);\n` +
          'if (missing.length > 0) { console.error("missing:", missing.join(", ")); process.exit(1); }\n',
      );
      const r = await run(process.execPath, [file], {
        cwd: dir,
        env: userEnv(),
        timeoutMs: 10_000,
      });
      expect(r.code, `${e.specifier}\n${describeRun(r)}`).toBe(0);
    }
  });

  it("publint (strict) on the tarball: no error, warning or suggestion", async () => {
    const r = await run(
      process.execPath,
      [binOf("publint", "publint"), "run", tarballs.get(p.name)!, "--strict"],
      {
        cwd: work,
        env: userEnv(),
      },
    );
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout, describeRun(r)).toContain("All good!");
  });

  it("attw --profile esm-only on the tarball: no problem", async () => {
    const r = await run(
      process.execPath,
      [
        binOf("@arethetypeswrong/cli", "attw"),
        tarballs.get(p.name)!,
        "--profile",
        "esm-only",
        "--format",
        "ascii",
        "--no-color",
      ],
      { cwd: work, env: userEnv() },
    );
    expect(r.code, describeRun(r)).toBe(0);
  });
});

describe("a TypeScript consumer of the installed packages", () => {
  beforeAll(() => {
    for (const p of packages) {
      const dir = join(project, short(p));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "example.ts"), mainExample(readme(p))?.code ?? "export {};\n");
      mkdirSync(join(project, "exports"), { recursive: true });
      for (const e of entryPoints(p)) {
        const { values, types } = entryExportNames(join(p.dir, e.source));
        const s = e.specifier;
        writeFileSync(
          join(project, "exports", `${entryFile(p, e)}.ts`),
          `// every public export of ${s}\n` +
            (values.length > 0 ? `import { ${values.join(", ")} } from "${s}";\n` : "") +
            (types.length > 0 ? `import type { ${types.join(", ")} } from "${s}";\n` : "") +
            `export const values: readonly unknown[] = [${values.join(", ")}];\n`,
        );
      }
    }
  });

  const resolutions = [
    { moduleResolution: "node16", module: "node16" },
    { moduleResolution: "bundler", module: "esnext" },
  ];

  /** tsc type-checks the consumer files with these options; resolves with tsc's result. */
  async function tsc(
    name: string,
    options: Record<string, unknown>,
    include: readonly string[] = ["*/example.ts", "exports/*.ts"],
    extraArgs: readonly string[] = [],
  ): Promise<RunResult> {
    const config = `tsconfig.${name}.json`;
    const compilerOptions = {
      target: "ES2022",
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: false,
      ...options,
    };
    writeFileSync(
      join(project, config),
      `${JSON.stringify({ compilerOptions, include }, null, 2)}\n`,
    );
    return run(
      process.execPath,
      [binOf("typescript", "tsc"), "-p", config, "--pretty", "false", ...extraArgs],
      { cwd: project, env: userEnv() },
    );
  }

  // What a strict user with skipLibCheck false needs today: lib DOM, because sip.js's own
  // declarations (reached through sip-signaling's) use WebRTC DOM types; types ["node"], because
  // werift-rtp's dependency mediabunny installs @types/dom-webcodecs, which TypeScript would
  // otherwise include by itself and which clashes with lib DOM.
  it.each(resolutions)(
    "the README examples (as .ts) and an import of every export type-check with moduleResolution $moduleResolution: strict, noEmit, skipLibCheck false, lib ES2022 + DOM, types [node]: no error",
    async ({ moduleResolution, module }) => {
      const r = await tsc(moduleResolution, {
        module,
        moduleResolution,
        lib: ["ES2022", "DOM"],
        types: ["node"],
      });
      expect(r.code, describeRun(r)).toBe(0);
    },
  );

  // Our declarations need no DOM and hold under exactOptionalPropertyTypes: without lib DOM, the
  // only errors allowed are inside sip.js's own declarations (third-party, not ours to change).
  it.each(resolutions)(
    "the same with moduleResolution $moduleResolution, lib ES2022 only and exactOptionalPropertyTypes: no error outside node_modules/sip.js/",
    async ({ moduleResolution, module }) => {
      const r = await tsc(`${moduleResolution}-no-dom`, {
        module,
        moduleResolution,
        lib: ["ES2022"],
        types: ["node"],
        exactOptionalPropertyTypes: true,
      });
      const errors = r.stdout.split("\n").filter((l) => /error TS\d+/.test(l));
      const ours = errors.filter((l) => !l.startsWith("node_modules/sip.js/"));
      expect(ours, describeRun(r)).toEqual([]);
      expect(r.code === 0 || errors.length > 0, describeRun(r)).toBe(true);
    },
  );

  // A package's `./core` entry point is its pure part: its declarations, and everything they
  // reach, type-check without Node's types (`types: []`) and never pull @types/node into the
  // program (no `node:` import, no `reference types="node"`). With lib DOM (a browser or worker
  // consumer) there is no error at all; with lib ES2022 alone, only rxjs's own declarations
  // complain (its `TimerHandle` is `ReturnType<typeof setTimeout>`, a global that Node or DOM declares).
  const cores = packages.flatMap((p) =>
    entryPoints(p)
      .filter((e) => e.subpath === CORE_SUBPATH)
      .map((e) => ({ file: `exports/${entryFile(p, e)}.ts`, specifier: e.specifier })),
  );
  const coreCases = resolutions.flatMap((r) => [
    { ...r, lib: ["ES2022", "DOM"], allowedErrors: "none" },
    { ...r, lib: ["ES2022"], allowedErrors: "node_modules/rxjs/" },
  ]);
  it.each(coreCases)(
    `every ${CORE_SUBPATH} entry point type-checks with moduleResolution $moduleResolution, lib $lib, types [], exactOptionalPropertyTypes (errors allowed: $allowedErrors), with no file of @types/node in the program`,
    async ({ moduleResolution, module, lib, allowedErrors }) => {
      expect(cores.map((c) => c.specifier)).toContain("@framewire/rtp-video/core");
      const r = await tsc(
        `${moduleResolution}-${lib.length}-core`,
        { module, moduleResolution, lib, types: [], exactOptionalPropertyTypes: true },
        cores.map((c) => c.file),
        ["--listFiles"],
      );
      const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
      const errors = lines.filter((l) => /error TS\d+/.test(l));
      const ours =
        allowedErrors === "none" ? errors : errors.filter((l) => !l.startsWith(allowedErrors));
      expect(ours, describeRun(r)).toEqual([]);
      if (allowedErrors === "none") expect(r.code, describeRun(r)).toBe(0);
      expect(lines.some((f) => f.includes("/@framewire/rtp-video/dist/core.d.ts"))).toBe(true);
      expect(lines.filter((f) => f.includes("/@types/node/"))).toEqual([]);
    },
  );
});
