/**
 * Smoke tests of the real-peer harness (./peers.ts) against the installed
 * third-party programs. Skipped locally when a peer is missing; failing in CI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixture } from "./fixtures.js";
import {
  ffmpegDecodeFile,
  freeUdpPorts,
  itWithPeers,
  kv,
  lastKvLine,
  runCleanups,
  runScript,
  sleep,
  startScript,
  waitForText,
} from "./peers.js";

afterEach(runCleanups);

/** Polls until `pid` no longer exists (or is a zombie awaiting its reaper). */
async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return true;
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

describe("peer harness (no peers needed)", () => {
  it("kv parses key=value summary lines", () => {
    expect(kv("frames_decoded=300 warnings=0 errors=0 out=/tmp/x.h264 out_bytes=12")).toEqual({
      frames_decoded: "300",
      warnings: "0",
      errors: "0",
      out: "/tmp/x.h264",
      out_bytes: "12",
    });
    expect(kv("  a=1\tnoise b=x=y =bad c=  \n")).toEqual({ a: "1", b: "x=y", c: "" });
    expect(
      lastKvLine("log\nframes_decoded=1 errors=2\nframes_decoded=3 errors=0\n", "errors"),
    ).toEqual({ frames_decoded: "3", errors: "0" });
    expect(lastKvLine("nothing here", "errors")).toBeUndefined();
  });

  it("freeUdpPorts(2) returns an even free port pair in range", async () => {
    const port = await freeUdpPorts(2);
    expect(port % 2).toBe(0);
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port + 1).toBeLessThan(40000);
    // below the kernel's ephemeral range, which port-0 binds of other tests draw from
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    if (low - 20000 >= 2000) expect(port + 1).toBeLessThan(low);
  });

  it("runScript kills a hanging process group at the deadline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "framewire-peers-"));
    try {
      const script = join(dir, "hang.sh");
      // A child in another session/process group (as GNU timeout does) must die too.
      writeFileSync(script, 'setsid sleep 30 & echo "bg=$!"; sleep 30; echo "not reached"\n');
      const t0 = Date.now();
      const r = await runScript(script, [], { timeoutMs: 500 });
      expect(r.timedOut).toBe(true);
      expect(r.code).toBeNull();
      expect(r.signal).toBe("SIGKILL");
      expect(Date.now() - t0).toBeLessThan(5_000);
      const bg = Number(kv(r.stdout).bg);
      expect(bg).toBeGreaterThan(0);
      expect(await gone(bg, 3_000), `background pid ${bg} survived`).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("real peers", () => {
  itWithPeers(["ffmpeg"])(
    "ffmpegDecodeFile decodes fixtures/test.h264: 300 frames, 0 errors",
    async () => {
      const r = await ffmpegDecodeFile(fixture("test.h264"), { timeoutMs: 50_000 });
      expect(r.errors, r.log).toBe(0);
      expect(r.frames).toBe(300);
      // same pictures as the fixture's reference framecrc
      const reference = readFileSync(fixture("test.framecrc"), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"));
      expect(r.crcLines).toEqual(reference);
    },
    60_000,
  );

  itWithPeers(["gst-launch-1.0", "timeout"])(
    "gst-recv-h264.sh decodes test-rtp.pcap replayed by pcap-replay.sh: 300 frames, 0 errors",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "framewire-peers-"));
      try {
        const port = await freeUdpPorts(2);
        const out = join(dir, "recv.h264");
        // The paced replay lasts ~10 s; listen 16 s so the receiver's start-up
        // and the jitter buffer latency fit comfortably.
        const receiver = startScript("gst-recv-h264.sh", [String(port), "16", out], {
          timeoutMs: 40_000,
        });
        try {
          const t0 = Date.now();
          const ready = await waitForText(`${out}.log`, "Setting pipeline to PLAYING", 10_000);
          expect(ready, "gst-recv-h264.sh did not start listening").toBe(true);
          await sleep(Math.max(300, 1_000 - (Date.now() - t0)));

          const sender = await runScript(
            "pcap-replay.sh",
            [fixture("test-rtp.pcap"), String(port)],
            {
              env: { FAST: "0" },
              timeoutMs: 30_000,
            },
          );
          expect(sender.code, sender.stderr).toBe(0);

          const r = await receiver.done;
          const summary = lastKvLine(r.stdout, "frames_decoded");
          expect(summary, `receiver printed no summary:\n${r.stdout}\n${r.stderr}`).toBeDefined();
          expect(summary!.frames_decoded).toBe("300");
          expect(summary!.errors).toBe("0");
          expect(Number(summary!.out_bytes)).toBeGreaterThan(1_000_000);
          expect(r.code).toBe(0);
        } finally {
          receiver.kill();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
