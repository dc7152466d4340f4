// The workspace as the package test sees it: where it is and which packages are public.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** WORKSPACE_ROOT is the monorepo's root directory. */
export const WORKSPACE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** PublicPackage is a workspace package that is published (no `"private": true`). */
export interface PublicPackage {
  /** name is the package's public name, e.g. "@framewire/hooks". */
  readonly name: string;
  /** dir is its absolute directory. */
  readonly dir: string;
  /** folder is its directory relative to the workspace root, e.g. "packages/hooks". */
  readonly folder: string;
}

/** publicPackages lists the public packages under `packages/`, sorted by folder. */
export function publicPackages(root = WORKSPACE_ROOT): PublicPackage[] {
  const out: PublicPackage[] = [];
  for (const entry of readdirSync(join(root, "packages"), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(root, "packages", entry.name, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { name: string; private?: boolean };
    if (manifest.private === true) continue;
    out.push({
      name: manifest.name,
      dir: join(root, "packages", entry.name),
      folder: `packages/${entry.name}`,
    });
  }
  return out.sort((a, b) => (a.folder < b.folder ? -1 : 1));
}

/** EntryPoint is one subpath a package exports, with the source file that lists its exports. */
export interface EntryPoint {
  /** subpath is the `exports` key, e.g. "." or "./core". */
  readonly subpath: string;
  /** specifier is what a user imports, e.g. "@framewire/rtp-video/core". */
  readonly specifier: string;
  /** source is the entry's `@framewire/source` file relative to the package, e.g. "src/core.ts". */
  readonly source: string;
}

/**
 * entryPoints lists the entry points of a package: every `exports` subpath whose conditions
 * start with `@framewire/source` (so not `./package.json` nor a blocked `./internal/*`), "." first.
 */
export function entryPoints(p: PublicPackage): EntryPoint[] {
  const manifest = JSON.parse(readFileSync(join(p.dir, "package.json"), "utf8")) as {
    exports?: Record<string, unknown>;
  };
  const out: EntryPoint[] = [];
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (target === null || typeof target !== "object") continue;
    const source = (target as Record<string, unknown>)["@framewire/source"];
    if (typeof source !== "string") continue;
    out.push({
      subpath,
      specifier: subpath === "." ? p.name : `${p.name}${subpath.slice(1)}`,
      source: source.replace(/^\.\//, ""),
    });
  }
  return out.sort((a, b) => (a.subpath === "." ? -1 : b.subpath === "." ? 1 : 0));
}
