// MediaInactivityWatch in virtual time: the call ends once when no datagram came from the
// remote's accepted source on any stream for the timeout; foreign datagrams do not count; hold.
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { type ActivitySource, MediaInactivityWatch } from "./media-inactivity.js";

interface Counters {
  transport: { datagrams: number; foreignSource: number };
}

function stream(): Counters & ActivitySource {
  return { transport: { datagrams: 0, foreignSource: 0 } };
}

function watch(
  clock: ManualScheduler,
  streams: (ActivitySource | undefined)[],
  timeoutMs: number,
  options: { holdTimeoutMs?: number; onHold?: () => boolean } = {},
) {
  const fired: number[] = [];
  const w = new MediaInactivityWatch(
    { timeoutMs, holdTimeoutMs: options.holdTimeoutMs ?? 0, scheduler: clock },
    () => streams,
    options.onHold ?? (() => false),
    () => fired.push(clock.now()),
  );
  return { w, fired };
}

describe("MediaInactivityWatch", () => {
  it("silence on every stream for the timeout ends the call once (poll: a tenth of it)", () => {
    const clock = new ManualScheduler();
    const { fired } = watch(clock, [stream(), stream()], 30_000);
    clock.advance(29_999);
    expect(fired).toEqual([]);
    clock.advance(1_001);
    expect(fired).toEqual([30_000]);
    clock.advance(120_000);
    expect(fired).toEqual([30_000]);
    expect(clock.pending).toBe(0);
  });

  it("RTP or RTCP on any one stream keeps the call; the timeout counts from the last datagram", () => {
    const clock = new ManualScheduler();
    const audio = stream();
    const video = stream();
    const { fired, w } = watch(clock, [audio, video], 2_000);
    for (let t = 0; t < 10; t++) {
      clock.advance(1_000);
      (t % 2 === 0 ? audio : video).transport.datagrams++;
    }
    expect(fired).toEqual([]);
    expect(w.silentMs).toBeLessThan(1_000);
    const last = clock.now();
    clock.advance(2_200);
    expect(fired).toHaveLength(1);
    expect(fired[0]! - last).toBeGreaterThanOrEqual(2_000);
    expect(fired[0]! - last).toBeLessThanOrEqual(2_200);
  });

  it("datagrams from a foreign source (a flood, a forged stream) do not keep the call up", () => {
    const clock = new ManualScheduler();
    const audio = stream();
    const { fired } = watch(clock, [audio, undefined], 2_000);
    for (let t = 0; t < 30; t++) {
      clock.advance(100);
      audio.transport.datagrams += 5;
      audio.transport.foreignSource += 5;
    }
    expect(fired).toEqual([2_000]);
  });

  it("on hold: holdTimeoutMs 0 never ends the call; a hold timeout ends it at that time", () => {
    const clock = new ManualScheduler();
    let held = true;
    const a = watch(clock, [stream()], 2_000, { onHold: () => held });
    clock.advance(60_000);
    expect(a.fired).toEqual([]);
    held = false; // resumed: the silence counted since the last datagram ends it at the next poll
    clock.advance(200);
    expect(a.fired).toHaveLength(1);

    const clock2 = new ManualScheduler();
    const b = watch(clock2, [stream()], 2_000, { holdTimeoutMs: 10_000, onHold: () => true });
    clock2.advance(9_999);
    expect(b.fired).toEqual([]);
    clock2.advance(1_001);
    expect(b.fired).toEqual([10_000]);
  });

  it("stop: no callback, no timer left", () => {
    const clock = new ManualScheduler();
    const { w, fired } = watch(clock, [stream()], 2_000);
    clock.advance(1_000);
    w.stop();
    w.stop();
    clock.advance(10_000);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
