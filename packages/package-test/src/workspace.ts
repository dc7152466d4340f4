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
