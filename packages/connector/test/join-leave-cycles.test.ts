// 100 join/leave cycles of a server-side participant subscribed to two callers (raw video decoded
// by node-av, audio per member and mixed) leave nothing behind: every stream ends with `closed`,
// no native decoder, scaler or resampler is left, the kit and the connector hold no participant,
// and RSS after forced GC grows by less than 24 MB between cycle 10 and cycle 100 (a leak of one
// decoder or one 640x360 rgb24 frame per cycle would be ≥ 60 MB). In a child node, --expose-gc.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAX_GROWTH_BYTES = 24 * 1024 * 1024;

describe("a participant joining and leaving 100 times", () => {
  it("leaves RSS flat, no native object and no session behind", async () => {
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const child = fileURLToPath(new URL("./cycles-child.ts", import.meta.url));
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = execFile(
        process.execPath,
        ["--expose-gc", "--import", tsx, "--conditions=@framewire/source", child, "100"],
        { timeout: 100_000, maxBuffer: 8 * 1024 * 1024 },
        (_e, out, err) => resolve({ code: p.exitCode, out, err }),
      );
    });
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(r.out.trim().split("\n").at(-1)!) as {
      cycles: number;
      delivered: number;
      ends: string[];
      rssAt10: number;
      rssAtEnd: number;
      native: Record<string, number>;
      kitSessions: number;
      connectorParticipants: number;
      backendSessions: number;
    };
    console.log(`cycles: ${r.out.trim()}`);
    expect(m.cycles).toBe(100);
    expect(m.delivered).toBeGreaterThanOrEqual(100 * 2 * 6);
    expect(m.ends).toEqual(["closed", "closed", "closed", "closed"]);
    expect(m.native).toEqual({ decoders: 0, encoders: 0, scalers: 0, resamplers: 0 });
    expect([m.kitSessions, m.connectorParticipants, m.backendSessions]).toEqual([0, 0, 0]);
    expect(m.rssAtEnd - m.rssAt10).toBeLessThan(MAX_GROWTH_BYTES);
  }, 120_000);
});
