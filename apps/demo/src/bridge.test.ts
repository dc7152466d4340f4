// The demo's pieces in one process, over real UDP on 127.0.0.1: DemoBridge, two DemoCallers,
// DemoState and the Prometheus registry.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitAccessUnits } from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import { afterEach, describe, expect, it } from "vitest";
import { DemoBridge } from "./bridge.js";
import { DemoCaller } from "./caller.js";
import { demoMetrics } from "./metrics.js";
import { DemoState } from "./state.js";

const clip = splitAccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))));
const tone = new Uint8Array(readFileSync(fixture("pcmu-tone.ulaw")));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** makeCallers makes `n` DemoCallers of room "demo" at `port`, hung up by the test's cleanups. */
function makeCallers(port: number, n: number, options: { rtpPortStart: number; stagger: number }) {
  const out = mkdtempSync(join(tmpdir(), "framewire-demo-callers-"));
  return Array.from({ length: n }, (_, i) => {
    const c = new DemoCaller({
      name: `caller-${i + 1}`,
      host: "127.0.0.1",
      uri: `sip:demo@127.0.0.1:${port}`,
      video: clip,
      tone,
      fps: 30,
      startAt: i * options.stagger,
      recordTo: join(out, `caller-${i + 1}.h264`),
      rtpPortStart: options.rtpPortStart + i * 400,
    });
    cleanups.push(() => c.hangUp());
    return c;
  });
}

describe("DemoBridge + DemoCaller + DemoState + metrics", () => {
  it("bridges two callers' video and audio, and the state and /metrics show it", async () => {
    const bridge = new DemoBridge({ host: "127.0.0.1", port: 0, rtpPortStart: 24_000 });
    const port = await bridge.start();
    cleanups.push(() => bridge.stop());
    const callers = makeCallers(port, 2, { rtpPortStart: 34_000, stagger: 150 });
    const state = new DemoState({
      bridge,
      callers: () => callers.map((c) => c.stats()),
      thumbnails: undefined,
      sipUri: `sip:demo@127.0.0.1:${port}`,
      durationSec: undefined,
    });
    await Promise.all(callers.map((c) => c.dial()));
    for (let i = 0; i < 100 && bridge.active().length < 2; i++) await sleep(20);
    expect(
      bridge
        .active()
        .map((p) => p.caller)
        .sort(),
    ).toEqual([
      expect.stringMatching(/^sip:caller-1@127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^sip:caller-2@127\.0\.0\.1:\d+$/),
    ]);
    for (const c of callers) c.startStreaming();
    await sleep(2500);
    state.sample();
    const snap = state.snapshot();
    expect(snap.rooms).toHaveLength(1);
    const [room] = snap.rooms;
    expect(room!.id).toBe("demo");
    for (const p of room!.participants) {
      expect(p.codec).toBe("H264");
      expect([p.width, p.height]).toEqual([640, 360]);
      expect(p.framesIn).toBeGreaterThan(50);
      expect(p.forwarded).toBeGreaterThan(45);
      expect(p.delivered).toBeGreaterThan(45);
      expect(p.audioPacketsIn).toBeGreaterThan(80);
      expect(p.msSinceKeyframe).toBeDefined();
      expect(snap.history[p.id]).toHaveLength(1);
    }
    expect(snap.keyframes.length).toBeGreaterThanOrEqual(4);
    const metrics = await demoMetrics(state).metrics();
    expect(metrics).toMatch(/^framewire_room_participants\{room="demo"\} 2$/m);
    expect(metrics).toMatch(/^framewire_rtp_ports_in_use 4$/m);
    expect(metrics.match(/^framewire_participant_video_frames_forwarded\{/gm)).toHaveLength(2);

    for (const c of callers) c.stopStreaming();
    await sleep(300);
    const [a, b] = callers.map((c) => c.stats());
    expect(a!.receivedFrames).toBeGreaterThanOrEqual(b!.sentFrames - 2);
    expect(b!.receivedFrames).toBeGreaterThanOrEqual(a!.sentFrames - 2);
    expect(a!.receivedFromClip).toBe(a!.receivedFrames);
    await Promise.all(callers.map((c) => c.hangUp()));
    for (let i = 0; i < 100 && bridge.active().length > 0; i++) await sleep(20);
    expect(bridge.backend.sessionCount, "bridge sessions after BYE").toBe(0);
    expect(bridge.active()).toEqual([]);
    expect(bridge.backend.portsInUse).toBe(0);
    expect(callers.map((c) => c.stats().state)).toEqual(["ended", "ended"]);
  });

  it("a third caller beyond maxParticipants 2 is refused before the answer: 486 Room Full, no session left", async () => {
    const bridge = new DemoBridge({
      host: "127.0.0.1",
      port: 0,
      rtpPortStart: 26_000,
      maxParticipants: 2,
    });
    const port = await bridge.start();
    cleanups.push(() => bridge.stop());
    const [first, second, third] = makeCallers(port, 3, { rtpPortStart: 36_000, stagger: 0 }) as [
      DemoCaller,
      DemoCaller,
      DemoCaller,
    ];
    await first.dial();
    await second.dial();
    const refused = await third.dial().then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number; message: string },
    );
    expect(refused?.statusCode, refused?.message).toBe(486);
    expect(bridge.joinErrors).toBe(1);
    expect(bridge.active().length).toBe(2);
    expect(bridge.backend.sessionCount).toBe(2);
  });
});
