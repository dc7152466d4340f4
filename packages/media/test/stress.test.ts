// Crash safety: thousands of decode, convert and encode calls with GC forced between them, in a
// child node process (--expose-gc), so that a native crash fails this test instead of vitest.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BUDGET_MS = 20_000;

describe("node-av under forced GC", () => {
  it("thousands of decode/convert/encode calls: clean exit, no signal, no native object left", async () => {
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const child = fileURLToPath(new URL("./stress-child.ts", import.meta.url));
    const result = await new Promise<{
      code: number | null;
      signal: string | null;
      out: string;
      err: string;
    }>((resolve) => {
      const p = execFile(
        process.execPath,
        [
          "--expose-gc",
          "--import",
          tsx,
          "--conditions=@framewire/source",
          child,
          String(BUDGET_MS),
        ],
        { timeout: BUDGET_MS + 40_000, maxBuffer: 8 * 1024 * 1024 },
        (_e, out, err) => resolve({ code: p.exitCode, signal: p.signalCode, out, err }),
      );
    });
    expect(result.signal, result.err).toBeNull();
    expect(result.code, result.err).toBe(0);
    const counts = JSON.parse(result.out.trim().split("\n").at(-1)!) as Record<string, number>;
    console.log(`stress: ${result.out.trim()}`);
    expect(counts.decodes! + counts.converts! + counts.encodes!).toBeGreaterThan(2000);
  }, 90_000);
});
