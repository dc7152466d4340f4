import {
  type HookEventMap,
  HookRegistry,
  HookResult,
  type HookRunResult,
  HookTrigger,
} from "@framewire/hooks";
import type { AudioFrame, MediaSession, RtpVideoBackend, VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  allowed,
  blocked,
  dtmf,
  FakeAudioBackend,
  type FakeAudioEvent,
  FakeHooks,
  type FakeSession,
  flushPromises,
  frame,
} from "../test/audio-fakes.js";
import { concat, goertzelPower, sine } from "../test/audio-signals.js";
import { AudioBridge } from "./audio-bridge.js";
import type { AudioBridgeOptions } from "./audio-bridge-options.js";
import type {
  AudioBridgeBackend,
  AudioBridgeFormat,
  AudioBridgeHooks,
} from "./audio-bridge-types.js";
import type { AudioCodecPlug } from "./audio-codec.js";
import { RoomFullError, VideoBridgeError } from "./errors.js";
import { decodeAlaw, decodeMulaw, encodeMulaw } from "./g711.js";
import { decodeL16, encodeL16 } from "./l16.js";

const PCMU: AudioBridgeFormat = { codec: "pcmu", sampleRate: 8000, payloadType: 0 };
const PCMA: AudioBridgeFormat = { codec: "pcma", sampleRate: 8000, payloadType: 8 };
const L16_16K: AudioBridgeFormat = { codec: "l16", sampleRate: 16000, payloadType: 97 };
const L16_48K: AudioBridgeFormat = { codec: "l16", sampleRate: 48000, payloadType: 98 };
const OPUS: AudioBridgeFormat = { codec: "opus", sampleRate: 48000, payloadType: 111 };

function setup(config: AudioBridgeOptions<FakeSession> = {}) {
  const scheduler = new ManualScheduler();
  const backend = new FakeAudioBackend();
  const bridge = new AudioBridge<FakeSession>({ scheduler, random: () => 0.5, ...config });
  const session = (id: string): FakeSession => ({ id });
  return { scheduler, backend, bridge, session };
}

/** pair is setup() with "a" (PCMU) and "b" (`formatB`, default PCMU) bridged in room "r". */
function pair(config: AudioBridgeOptions<FakeSession> = {}, formatB: AudioBridgeFormat = PCMU) {
  const s = setup(config);
  const a = s.session("a");
  s.bridge.addSession(a, "r", s.backend, PCMU);
  s.bridge.addSession(s.session("b"), "r", s.backend, formatB);
  return { ...s, a };
}

/** hookedPair is pair() with FakeHooks that decide in room "r". */
function hookedPair(config: AudioBridgeOptions<FakeSession> = {}) {
  const hooks = new FakeHooks();
  hooks.rooms.add("r");
  return { hooks, ...pair({ ...config, hooks }) };
}

const ulawFrame = (hz = 440, n = 160, start = 0) => encodeMulaw(sine(hz, 8000, n, 8000, 0, start));

describe("AudioBridge: forward", () => {
  it("relays a packet unchanged to the other session when codec and rate match", () => {
    const { bridge, backend, a } = pair({}, { ...PCMU, payloadType: 100 });
    const data = ulawFrame();
    bridge.forward(a, frame("pcmu", data, { marker: true }));
    expect(backend.sent.length).toBe(1);
    const [sent] = backend.to("b");
    expect(sent?.data).toEqual(data);
    expect(sent?.samples).toBe(160);
    expect(sent?.payloadType).toBe(100);
    expect(sent?.marker).toBe(true);
    expect(backend.to("a")).toEqual([]);
    expect(bridge.stats().forwarded).toBe(1);
    expect(bridge.stats().framesIn).toBe(1);
  });

  it("keeps the target's RTP timeline continuous: +samples per packet, marker only at the start", () => {
    const { bridge, backend, scheduler, a } = pair();
    for (let i = 0; i < 5; i++) {
      bridge.forward(a, frame("pcmu", ulawFrame()));
      scheduler.advance(20);
    }
    const sent = backend.to("b");
    const ts = sent.map((s) => s.rtpTimestamp as number);
    expect(ts[0]).toBe(0x80000000);
    expect(ts.slice(1).map((t, i) => t - (ts[i] as number))).toEqual([160, 160, 160, 160]);
    expect(sent.map((s) => s.marker)).toEqual([true, false, false, false, false]);
  });

  it("jumps the timestamp over a gap (silence suppression) and sets the marker (RFC 3551 §4.1)", () => {
    const { bridge, backend, scheduler, a } = pair();
    bridge.forward(a, frame("pcmu", ulawFrame()));
    scheduler.advance(20);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    scheduler.advance(1000);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    const [, second, third] = backend.to("b");
    expect((third?.rtpTimestamp as number) - (second?.rtpTimestamp as number)).toBe(8000);
    expect(third?.marker).toBe(true);
  });

  it("transcodes per target: decode → resample → encode, the tone survives", () => {
    const { bridge, backend, session, scheduler, a } = pair({}, L16_16K);
    bridge.addSession(session("c"), "r", backend, PCMA);
    for (let i = 0; i < 50; i++) {
      bridge.forward(a, frame("pcmu", ulawFrame(1000, 160, i * 160)));
      scheduler.advance(20);
    }
    const b = backend.to("b");
    expect(b.every((s) => s.data.length === 640 && s.samples === 320 && s.payloadType === 97)).toBe(
      true,
    );
    const bPcm = concat(b.map((s) => decodeL16(s.data)));
    const c = backend.to("c");
    expect(c.every((s) => s.data.length === 160 && s.payloadType === 8)).toBe(true);
    const cPcm = concat(c.map((s) => decodeAlaw(s.data)));
    // 1 kHz at about 8000 peak (G.711 twice: within 0.5 dB), nothing at 3 kHz.
    const amp = (x: Int16Array, hz: number, rate: number) =>
      Math.sqrt(2 * goertzelPower(x, hz, rate, rate / 10, x.length));
    expect(amp(bPcm, 1000, 16000)).toBeGreaterThan(7500);
    expect(amp(bPcm, 1000, 16000)).toBeLessThan(8500);
    expect(amp(bPcm, 3000, 16000)).toBeLessThan(100);
    expect(amp(cPcm, 1000, 8000)).toBeGreaterThan(7500);
    expect(bridge.stats().transcoded).toBe(100);
  });

  it("splits PCM payloads larger than maxPayloadBytes on sample boundaries (L16 at 48 kHz)", () => {
    const { bridge, backend, a } = pair({}, L16_48K);
    bridge.forward(a, frame("pcmu", ulawFrame(), { marker: true }));
    const sent = backend.to("b");
    expect(sent.map((s) => [s.data.length, s.samples, s.marker])).toEqual([
      [960, 480, true],
      [960, 480, false],
    ]);
    expect((sent[1]?.rtpTimestamp as number) - (sent[0]?.rtpTimestamp as number)).toBe(480);
  });

  it("relays Opus between Opus sessions; without a plug it cannot be transcoded (counted)", () => {
    const { bridge, backend, session } = setup();
    const a = session("a");
    bridge.addSession(a, "r", backend, OPUS);
    bridge.addSession(session("b"), "r", backend, OPUS);
    bridge.addSession(session("c"), "r", backend, PCMU);
    const packet = Uint8Array.of((31 << 3) | 0, 1, 2, 3);
    bridge.forward(a, frame("opus", packet, { payloadType: 111 }));
    expect(backend.to("b")[0]?.data).toEqual(packet);
    expect(backend.to("b")[0]?.samples).toBe(960);
    expect(backend.to("c")).toEqual([]);
    expect(bridge.stats().unsupported).toBe(1);
  });

  it("room isolation: frames stay in their room", () => {
    const { bridge, backend, session } = setup();
    const a = session("a");
    bridge.addSession(a, "r1", backend, PCMU);
    bridge.addSession(session("b"), "r1", backend, PCMU);
    bridge.addSession(session("c"), "r2", backend, PCMU);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.map((s) => s.to)).toEqual(["b"]);
    expect(bridge.getSessions("r2").map((s) => s.id)).toEqual(["c"]);
    expect(bridge.stats().rooms).toBe(2);
  });

  it("a target whose sendAudio throws is counted and the others are still served", () => {
    const { bridge, backend, session } = setup();
    const failing = new FakeAudioBackend();
    failing.onSend = () => {
      throw new Error("socket gone");
    };
    const a = session("a");
    bridge.addSession(a, "r", backend, PCMU);
    bridge.addSession(session("b"), "r", failing, PCMU);
    bridge.addSession(session("c"), "r", backend, PCMU);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.to("c").length).toBe(2);
    expect(bridge.stats().targetErrors).toBe(2);
    expect(bridge.sessionStats("b")?.targetErrors).toBe(2);
    expect(bridge.sessionStats("c")?.packetsSent).toBe(2);
  });

  it("sendAudio returning false (no remote yet) is counted as not sent", () => {
    const { bridge, backend, session } = setup();
    backend.onSend = () => false;
    const a = session("a");
    bridge.addSession(a, "r", backend, PCMU);
    bridge.addSession(session("b"), "r", backend, PCMU);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(bridge.stats().notSent).toBe(1);
    expect(bridge.stats().forwarded).toBe(0);
  });

  it("re-entrancy: a send callback may remove sessions (itself, another, the source) mid-forward", () => {
    const { bridge, backend, session } = setup();
    const a = session("a");
    for (const id of ["a", "b", "c", "d"]) bridge.addSession(session(id), "r", backend, PCMU);
    backend.onSend = (s) => {
      if (s.id === "b") {
        bridge.removeSession("c");
        bridge.removeSession("b");
      }
      return true;
    };
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.map((s) => s.to)).toEqual(["b", "d"]);
    backend.onSend = (s) => {
      if (s.id === "d") bridge.removeSession("a");
      return true;
    };
    bridge.addSession(session("e"), "r", backend, PCMU);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.map((s) => s.to)).toEqual(["b", "d", "d"]);
    expect(bridge.getRoomId("a")).toBeUndefined();
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(bridge.stats().unknownSource).toBe(1);
  });

  it("re-entrancy: a send callback may add a session mid-forward (it gets the next frame)", () => {
    const { bridge, backend, session, a } = pair();
    backend.onSend = () => {
      if (bridge.getRoomId("c") === undefined) bridge.addSession(session("c"), "r", backend, PCMU);
      return true;
    };
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.map((s) => s.to)).toEqual(["b", "b", "c"]);
  });

  it("disabled: frames are dropped and counted until enabled again", () => {
    const { bridge, backend, a } = pair({ enabled: false });
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(bridge.stats().droppedDisabled).toBe(1);
    bridge.setEnabled(true);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.length).toBe(1);
  });

  it("filter: may drop or replace a frame; a throwing filter drops it (fail-closed, counted)", () => {
    const { bridge, backend, a } = pair();
    bridge.setFrameFilter(() => null);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.setFrameFilter((_s, f) => ({ ...f, data: new Uint8Array(160).fill(0xff) }));
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.setFrameFilter(() => {
      throw new Error("bug");
    });
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.setFrameFilter(() => undefined as unknown as null); // no frame, no null: a mistake
    bridge.forward(a, frame("pcmu", ulawFrame()));
    bridge.setFrameFilter(null);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.length).toBe(2);
    expect(backend.sent[0]?.audio.data).toEqual(new Uint8Array(160).fill(0xff));
    expect(bridge.stats().droppedFiltered).toBe(3);
    expect(bridge.stats().filterErrors).toBe(2);
  });
});

describe("AudioBridge: sessions and lifecycle", () => {
  it("types: RtpVideoBackend is an AudioBridgeBackend, HookRegistry the audio hook seam", () => {
    expectTypeOf<RtpVideoBackend>().toMatchTypeOf<AudioBridgeBackend<MediaSession>>();
    expectTypeOf<AudioBridge>().toMatchTypeOf<AudioBridge<MediaSession>>();
    type Registry = HookRegistry<HookEventMap<MediaSession, VideoFrame, AudioFrame>>;
    expectTypeOf<Registry>().toMatchTypeOf<AudioBridgeHooks<MediaSession>>();
  });

  it("maxParticipants: the next session is refused with ROOM_FULL; re-adding a member is fine", () => {
    const { bridge, backend, session } = setup({ maxParticipants: 2 });
    bridge.addSession(session("a"), "r", backend, PCMU);
    bridge.addSession(session("b"), "r", backend, PCMU);
    const err = (() => {
      try {
        bridge.addSession(session("c"), "r", backend, PCMU);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RoomFullError);
    expect((err as VideoBridgeError).code).toBe("ROOM_FULL");
    expect(bridge.getRoomId("c")).toBeUndefined();
    bridge.addSession(session("b"), "r", backend, PCMA);
    expect(bridge.getSessions("r").length).toBe(2);
    bridge.addSession(session("c"), "other", backend, PCMU);
    expect(() => new AudioBridge({ maxParticipants: 1 })).toThrow(VideoBridgeError);
  });

  it("re-adding a session in another room moves it", () => {
    const { bridge, backend, session } = setup();
    bridge.addSession(session("a"), "r1", backend, PCMU);
    bridge.addSession(session("a"), "r2", backend, PCMU);
    expect(bridge.getSessions("r1")).toEqual([]);
    expect(bridge.sessionStats("a")?.roomId).toBe("r2");
    expect(bridge.stats().rooms).toBe(1);
  });

  it("rejects formats it cannot bridge", () => {
    const { bridge, backend, session } = setup({ forwardingStrategy: "mix" });
    const add = (format: AudioBridgeFormat) => () =>
      bridge.addSession(session("x"), "r", backend, format);
    expect(add({ ...PCMU, sampleRate: 16000 })).toThrow(/UNSUPPORTED/);
    expect(add({ ...PCMU, payloadType: 128 })).toThrow(/UNSUPPORTED/);
    expect(add({ ...L16_16K, sampleRate: 44100 as 48000 })).toThrow(/UNSUPPORTED/);
    expect(add({ ...OPUS, sampleRate: 16000 })).toThrow(/UNSUPPORTED/);
    expect(add(OPUS)).toThrow(/opus codec plug/);
    expect(add({ ...PCMU, codec: "g729" as "pcmu" })).toThrow(/UNSUPPORTED/);
    expect(bridge.getRoomId("x")).toBeUndefined();
    expect(() => new AudioBridge({ forwardingStrategy: "composite" as "mix" })).toThrow(
      /UNSUPPORTED/,
    );
  });

  it("removeSession returns whether the session was bridged; an emptied room is forgotten", () => {
    const { bridge, backend, session, scheduler } = setup();
    const a = session("a");
    bridge.addSession(a, "r", backend, PCMU);
    expect(scheduler.pending).toBe(1); // the room clock (levels)
    expect(bridge.removeSession(a)).toBe(true);
    expect(bridge.removeSession(a)).toBe(false);
    expect(bridge.stats().rooms).toBe(0);
    expect(scheduler.pending).toBe(0);
  });

  it("close() is idempotent: sessions removed, clocks stopped, observables complete, forward ignored", () => {
    const { bridge, backend, scheduler, a } = pair({ forwardingStrategy: "mix" });
    let completed = 0;
    bridge.levels$.subscribe({ complete: () => completed++ });
    bridge.activeSpeaker$.subscribe({ complete: () => completed++ });
    bridge.close();
    bridge.close();
    expect(completed).toBe(2);
    expect(scheduler.pending).toBe(0);
    expect(bridge.stats().sessions).toBe(0);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    scheduler.advance(100);
    expect(backend.sent).toEqual([]);
    expect(() => bridge.addSession(a, "r", backend, PCMU)).toThrow(/BRIDGE_CLOSED/);
  });

  it("close() from inside a send callback stops the forward", () => {
    const { bridge, backend, session } = setup();
    const a = session("a");
    for (const id of ["a", "b", "c"]) bridge.addSession(session(id), "r", backend, PCMU);
    backend.onSend = () => {
      bridge.close();
      return true;
    };
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.length).toBe(1);
  });
});

describe("AudioBridge: BEFORE_BRIDGE_AUDIO hook", () => {
  it("no hook for the room: synchronous fast path; the runner is only asked hasHooks", () => {
    const hooks = new FakeHooks();
    const { bridge, backend, a } = pair({ hooks });
    bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(backend.sent.length).toBe(1);
    expect(hooks.events).toEqual([]);
    expect(hooks.triggers).toEqual([HookTrigger.BEFORE_BRIDGE_AUDIO]);
  });

  it("with a hook: the frame waits for the verdict (allow / block / modify)", async () => {
    const { hooks, bridge, backend, a } = hookedPair();
    const silence = new Uint8Array(160).fill(0xff);
    hooks.decide = async (e) => {
      const first = e.frame.data[0];
      if (first === 1) return blocked(e);
      if (first === 2) return allowed({ ...e, frame: { ...e.frame, data: silence } }, true);
      return allowed(e);
    };
    const f0 = frame("pcmu", new Uint8Array(160).fill(0));
    bridge.forward(a, f0);
    expect(backend.sent.length).toBe(0);
    await flushPromises();
    expect(backend.sent.length).toBe(1);
    expect(hooks.events[0]).toEqual({ session: a, frame: f0, roomId: "r", timestamp: 0 });
    bridge.forward(a, frame("pcmu", new Uint8Array(160).fill(1)));
    bridge.forward(a, frame("pcmu", new Uint8Array(160).fill(2)));
    await flushPromises();
    expect(backend.sent.length).toBe(2);
    expect(backend.sent[1]?.audio.data).toEqual(silence);
    expect(bridge.stats().droppedByHook).toBe(1);
  });

  it("applies the seam's run results: blocked, modified, allowed as it was (no hook error)", async () => {
    const { hooks, bridge, backend, a } = hookedPair();
    const silence = new Uint8Array(160).fill(0xff);
    hooks.decide = async (e) => {
      const first = e.frame.data[0];
      if (first === 1) return { allowed: false, event: e, reason: "muted", blockedBy: "h" };
      if (first === 2) {
        return {
          allowed: true,
          modified: true,
          event: { ...e, frame: { ...e.frame, data: silence } },
        };
      }
      return { allowed: true, modified: false, event: e };
    };
    for (const fill of [0, 1, 2]) bridge.forward(a, frame("pcmu", new Uint8Array(160).fill(fill)));
    await flushPromises();
    expect(backend.sent.map((s) => s.audio.data)).toEqual([new Uint8Array(160).fill(0), silence]);
    expect(bridge.stats().droppedByHook).toBe(1);
    expect(bridge.stats().hookErrors).toBe(0);
  });

  it("works with the hooks package's HookRegistry as the runner (block, modify, other rooms)", async () => {
    const registry = new HookRegistry<HookEventMap<FakeSession, VideoFrame, AudioFrame>>();
    const { bridge, backend, session, a } = pair({ hooks: registry });
    bridge.addSession(session("x"), "quiet", backend, PCMU);
    bridge.addSession(session("y"), "quiet", backend, PCMU);
    const silence = new Uint8Array(160).fill(0xff);
    registry.hook(
      HookTrigger.BEFORE_BRIDGE_AUDIO,
      (e) => {
        if (e.frame.data[0] === 1) return HookResult.block("muted");
        if (e.frame.data[0] === 2)
          return HookResult.modify({ ...e, frame: { ...e.frame, data: silence } });
        return undefined;
      },
      { roomId: "r" },
    );
    for (const fill of [0, 1, 2]) bridge.forward(a, frame("pcmu", new Uint8Array(160).fill(fill)));
    bridge.forward(session("x"), frame("pcmu", new Uint8Array(160).fill(1)));
    expect(backend.to("y").length).toBe(1); // no hook in room "quiet": synchronous
    await flushPromises();
    expect(backend.to("b").map((s) => s.data)).toEqual([new Uint8Array(160).fill(0), silence]);
    expect(bridge.stats().droppedByHook).toBe(1);
  });

  it("verdicts are applied in arrival order even when hooks finish out of order", async () => {
    const { hooks, bridge, backend, a } = hookedPair();
    const release: (() => void)[] = [];
    hooks.decide = (e) => new Promise((resolve) => release.push(() => resolve(allowed(e))));
    for (let i = 0; i < 3; i++) bridge.forward(a, frame("pcmu", new Uint8Array(160).fill(i)));
    release[2]?.();
    release[1]?.();
    await flushPromises();
    expect(backend.sent.length).toBe(0);
    release[0]?.();
    await flushPromises();
    expect(backend.sent.map((s) => s.audio.data[0])).toEqual([0, 1, 2]);
  });

  it("a failing hook (throw, reject, nonsense) lets the frame through and is counted", async () => {
    const { hooks, bridge, backend, a } = hookedPair();
    hooks.decide = () => Promise.reject(new Error("hook crashed"));
    bridge.forward(a, frame("pcmu", ulawFrame()));
    hooks.decide = () => {
      throw new Error("sync crash");
    };
    bridge.forward(a, frame("pcmu", ulawFrame()));
    hooks.decide = async (e) =>
      allowed({ ...e, frame: { data: "not a frame" } as unknown as AudioFrame }, true);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    hooks.decide = async () => ({ action: "maybe" }) as unknown as HookRunResult<FakeAudioEvent>;
    bridge.forward(a, frame("pcmu", ulawFrame()));
    await flushPromises();
    expect(backend.sent.length).toBe(4);
    expect(bridge.stats().hookErrors).toBe(4);
  });

  it("a session removed while its frame waits for the hook is not bridged; the bound holds", async () => {
    const { hooks, bridge, backend, a } = hookedPair({ maxQueuedFrames: 2 });
    const release: (() => void)[] = [];
    hooks.decide = (e) => new Promise((resolve) => release.push(() => resolve(allowed(e))));
    for (let i = 0; i < 3; i++) bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(bridge.stats().droppedQueue).toBe(1);
    bridge.removeSession(a);
    for (const r of release) r();
    await flushPromises();
    expect(backend.sent).toEqual([]);
  });
});

describe("AudioBridge: telephone-events (RFC 4733)", () => {
  it("relays events as they are, one timestamp per event, with the target's payload type", () => {
    const { bridge, backend, scheduler, a } = pair(
      { forwardingStrategy: "mix" },
      { ...PCMU, telephoneEventPayloadType: 110 },
    );
    const ev = (end: boolean, duration: number, marker = false) =>
      frame("telephone-event", dtmf(5, end, duration), {
        payloadType: 101,
        rtpTimestamp: 4242,
        marker,
      });
    bridge.forward(a, ev(false, 160, true));
    scheduler.advance(20);
    bridge.forward(a, ev(false, 320));
    scheduler.advance(20);
    bridge.forward(a, ev(true, 480));
    bridge.forward(a, ev(true, 480));
    const events = backend.to("b").filter((s) => s.payloadType === 110);
    expect(events.length).toBe(4);
    expect(events.map((e) => e.data)).toEqual([
      dtmf(5, false, 160),
      dtmf(5, false, 320),
      dtmf(5, true, 480),
      dtmf(5, true, 480),
    ]);
    expect(new Set(events.map((e) => e.rtpTimestamp)).size).toBe(1);
    expect(events.map((e) => e.samples)).toEqual([0, 0, 0, 0]);
    expect(events[0]?.marker).toBe(true);
    // Not mixed: the mix the target hears stays silent.
    const audio = backend.to("b").filter((s) => s.payloadType === 0);
    expect(audio.every((s) => s.data.every((v) => v === 0xff))).toBe(true);
    expect(bridge.stats().telephoneEvents).toBe(4);
    // A new event (new source timestamp) gets a new target timestamp.
    scheduler.advance(100);
    bridge.forward(a, frame("telephone-event", dtmf(6, false, 160), { rtpTimestamp: 9000 }));
    const last = backend.to("b").at(-1);
    expect(last?.rtpTimestamp).not.toBe(events[0]?.rtpTimestamp);
    expect(last?.payloadType).toBe(110);
  });

  it("rescales the duration to the target's clock rate; default payload type is the sender's", () => {
    const { bridge, backend, a } = pair({}, L16_16K);
    const original = dtmf(1, false, 400);
    bridge.forward(a, frame("telephone-event", original, { payloadType: 101 }));
    const [sent] = backend.to("b");
    expect(sent?.data).toEqual(dtmf(1, false, 800));
    expect(sent?.payloadType).toBe(101);
    expect(original).toEqual(dtmf(1, false, 400));
  });
});

describe("AudioBridge: mix", () => {
  it("sends each target the others' audio every 20 ms, at its own rate and codec", () => {
    const { bridge, backend, session, scheduler } = setup({
      forwardingStrategy: "mix",
      mix: { jitterMs: 20 },
    });
    const a = session("a");
    const b = session("b");
    bridge.addSession(a, "r", backend, PCMU);
    bridge.addSession(b, "r", backend, L16_16K);
    bridge.addSession(session("c"), "r", backend, L16_48K);
    for (let i = 0; i < 50; i++) {
      bridge.forward(a, frame("pcmu", ulawFrame(500, 160, i * 160)));
      bridge.forward(b, frame("l16", encodeL16(sine(1500, 16000, 320, 6000, 0, i * 320))));
      scheduler.advance(20);
    }
    const heard = (id: string, rate: number, decode: (d: Uint8Array) => Int16Array) => {
      const pcm = concat(backend.to(id).map((s) => decode(s.data)));
      const from = rate / 5;
      return (hz: number) => Math.sqrt(2 * goertzelPower(pcm, hz, rate, from, pcm.length));
    };
    const atA = heard("a", 8000, decodeMulaw);
    const atB = heard("b", 16000, decodeL16);
    const atC = heard("c", 48000, decodeL16);
    expect(atA(1500)).toBeGreaterThan(5000);
    expect(atA(500)).toBeLessThan(100);
    expect(atB(500)).toBeGreaterThan(7000);
    expect(atB(1500)).toBeLessThan(100);
    expect(atC(500)).toBeGreaterThan(7000);
    expect(atC(1500)).toBeGreaterThan(5000);
    // 50 ticks → 50 packets to a, 50 to b, 100 (two 960-byte halves) to c.
    expect(backend.to("a").length).toBe(50);
    expect(backend.to("b").length).toBe(50);
    expect(backend.to("c").length).toBe(100);
    expect(bridge.stats().mixed).toBe(150); // frames: c's are split in two packets each
    const ts = backend.to("b").map((s) => s.rtpTimestamp as number);
    expect(ts.slice(1).every((t, i) => t - (ts[i] as number) === 320)).toBe(true);
  });

  it("sends silence when nobody else speaks (or nothing, with sendSilence: false)", () => {
    for (const sendSilence of [true, false]) {
      const { bridge, backend, scheduler, a } = pair(
        {
          forwardingStrategy: "mix",
          mix: { sendSilence },
        },
        PCMA,
      );
      scheduler.advance(100);
      if (sendSilence) {
        expect(backend.to("a").length).toBe(5);
        expect(backend.to("a").every((s) => s.data.every((v) => v === 0xff))).toBe(true);
        expect(backend.to("b").every((s) => s.data.every((v) => v === 0xd5))).toBe(true);
      } else {
        expect(backend.sent).toEqual([]);
        for (let i = 0; i < 5; i++) {
          bridge.forward(a, frame("pcmu", ulawFrame()));
          scheduler.advance(20);
        }
        const toB = backend.to("b");
        expect(toB.length).toBe(4); // after 40 ms of jitter buffer
        expect(toB.map((s) => s.marker)).toEqual([true, false, false, false]);
      }
    }
  });

  it("a lone session hears nothing; the room clock stops when the room empties", () => {
    const { bridge, backend, session, scheduler } = setup({ forwardingStrategy: "mix" });
    const a = session("a");
    bridge.addSession(a, "r", backend, PCMU);
    bridge.forward(a, frame("pcmu", ulawFrame()));
    scheduler.advance(200);
    expect(backend.sent).toEqual([]);
    bridge.removeSession(a);
    expect(scheduler.pending).toBe(0);
  });

  it("a mix-side send may remove sessions, including the one being served", () => {
    const { bridge, backend, session, scheduler } = setup({ forwardingStrategy: "mix" });
    for (const id of ["a", "b", "c"]) bridge.addSession(session(id), "r", backend, PCMU);
    backend.onSend = (s) => {
      if (s.id === "a") {
        bridge.removeSession("a");
        bridge.removeSession("b");
      }
      return true;
    };
    scheduler.advance(20);
    expect(backend.sent.map((s) => s.to)).toEqual(["a", "c"]);
    scheduler.advance(20);
    expect(backend.sent.map((s) => s.to)).toEqual(["a", "c"]); // c is alone now
  });

  it("a bounded per-session buffer: a burst beyond 200 ms drops the oldest audio (counted)", () => {
    const { bridge, scheduler, a } = pair({ forwardingStrategy: "mix" });
    for (let i = 0; i < 15; i++) bridge.forward(a, frame("pcmu", ulawFrame()));
    expect(bridge.sessionStats("a")?.bufferedMs).toBe(200);
    expect(bridge.sessionStats("a")?.droppedMs).toBe(100);
    expect(bridge.stats().mixer.droppedSamples).toBe(800);
    scheduler.advance(20);
    expect(bridge.sessionStats("a")?.bufferedMs).toBe(180);
  });

  it("mixes Opus sessions through a codec plug", () => {
    // A stand-in "codec": L16 framing under the Opus name, stateful per stream like a real one.
    let decoders = 0;
    let encoders = 0;
    const plug: AudioCodecPlug = {
      bytesPerSample: 0,
      createDecoder: () => {
        decoders++;
        return { decode: (d) => decodeL16(d) };
      },
      createEncoder: () => {
        encoders++;
        return { encode: (p) => encodeL16(p) };
      },
    };
    const { bridge, backend, session, scheduler } = setup({
      forwardingStrategy: "mix",
      codecs: { opus: plug },
      mix: { jitterMs: 20 },
    });
    const a = session("a");
    bridge.addSession(a, "r", backend, OPUS);
    bridge.addSession(session("b"), "r", backend, OPUS);
    bridge.addSession(session("c"), "r", backend, PCMU);
    for (let i = 0; i < 10; i++) {
      bridge.forward(a, frame("opus", encodeL16(sine(700, 48000, 960, 5000, 0, i * 960))));
      scheduler.advance(20);
    }
    expect(decoders).toBe(1);
    expect(encoders).toBe(2); // a (who hears silence) and b; c's PCMU is built in
    expect(backend.to("b").every((s) => s.data.length === 1920 && s.samples === 960)).toBe(true);
    const atB = decodeL16(backend.to("b")[5]?.data as Uint8Array);
    expect(Math.sqrt(2 * goertzelPower(atB, 700, 48000))).toBeGreaterThan(4500);
  });
});

describe("AudioBridge: levels and active speaker", () => {
  it("levels$ per room and activeSpeaker$ follow who talks (forward strategy)", () => {
    const { bridge, backend, session, scheduler } = setup({ levels: { holdMs: 200 } });
    const a = session("a");
    const b = session("b");
    bridge.addSession(a, "r", backend, PCMU);
    bridge.addSession(b, "r", backend, PCMU);
    const speakers: string[] = [];
    const levels: { a?: number; b?: number }[] = [];
    bridge.activeSpeaker$.subscribe((s) => speakers.push(`${s.roomId}/${s.sessionId}`));
    bridge.levels$.subscribe((l) =>
      levels.push(Object.fromEntries(l.levels.map((x) => [x.sessionId, x.level]))),
    );
    const quiet = encodeMulaw(sine(300, 8000, 160, 30));
    for (let i = 0; i < 25; i++) {
      bridge.forward(a, frame("pcmu", ulawFrame(440, 160, i * 160)));
      bridge.forward(b, frame("pcmu", quiet));
      scheduler.advance(20);
    }
    expect(speakers).toEqual(["r/a"]);
    for (let i = 0; i < 25; i++) {
      bridge.forward(a, frame("pcmu", quiet));
      bridge.forward(b, frame("pcmu", ulawFrame(440, 160, i * 160)));
      scheduler.advance(20);
    }
    expect(speakers).toEqual(["r/a", "r/b"]);
    expect(levels.length).toBe(10);
    // A 8000-peak sine is −15.3 dBov: RFC 6464 level 15.
    expect(levels[3]?.a).toBe(15);
    expect(levels[9]?.b).toBe(15);
    expect(levels[9]?.a).toBeGreaterThan(60);
  });

  it("levels can be turned off: no room clock in forward mode", () => {
    const { bridge, backend, session, scheduler } = setup({ levels: false });
    bridge.addSession(session("a"), "r", backend, PCMU);
    expect(scheduler.pending).toBe(0);
  });
});
