// The per-test cleanup registry: undo steps run newest first, whatever happened.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cleanups: (() => unknown)[] = [];

/** onCleanup registers an undo step for the running test (run newest first). */
export function onCleanup(step: () => unknown): void {
  cleanups.push(step);
}

/**
 * runCleanups runs and forgets every step, newest first, each one whatever the others did; the
 * first error is rethrown after all ran. Call it in `afterEach`.
 */
export async function runCleanups(): Promise<void> {
  let first: unknown;
  let failed = false;
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (e) {
      if (!failed) first = e;
      failed = true;
    }
  }
  if (failed) throw first;
}

/** tempDir makes a scratch folder that cleanup removes. */
export function tempDir(prefix = "framewire-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
