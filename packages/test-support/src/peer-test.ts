// itWithPeers: a test that needs third-party programs, and peersDir: where the peer scripts are.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "vitest";
import { repoRoot } from "./fixtures.js";

/** peersDir holds the peer scripts: `<repo>/tools/peers` (see its README.md). */
export function peersDir(): string {
  return join(repoRoot(), "tools", "peers");
}

const onPathCache = new Map<string, boolean>();

function onPath(program: string): boolean {
  let known = onPathCache.get(program);
  if (known === undefined) {
    const probe = spawnSync("sh", ["-c", 'command -v "$1" >/dev/null 2>&1', "sh", program], {
      stdio: "ignore",
      timeout: 5_000,
    });
    known = probe.status === 0;
    onPathCache.set(program, known);
  }
  return known;
}

/** PeerTest has `it`'s (name, fn, timeout) shape. */
export type PeerTest = (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void;

/**
 * itWithPeers gives `it` when all `programs` are installed; otherwise, under CI=true, a test that
 * fails and names the missing ones; otherwise `it.skip` (name suffixed with what is missing), so a
 * CI run never passes by skipping real-peer tests.
 */
export function itWithPeers(programs: readonly string[]): PeerTest {
  const missing = programs.filter((p) => !onPath(p));
  if (missing.length === 0) return (name, fn, timeoutMs) => it(name, fn, timeoutMs);
  const what = `missing peer program(s): ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    return (name, _fn, timeoutMs) =>
      it(
        name,
        () => {
          throw new Error(
            `${what}; CI requires them (tools/peers/install-peers.sh installs them; see tools/peers/README.md)`,
          );
        },
        timeoutMs,
      );
  }
  return (name, fn, timeoutMs) => it.skip(`${name} [${what}]`, fn, timeoutMs);
}
