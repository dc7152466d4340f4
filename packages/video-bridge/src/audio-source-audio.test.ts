import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { dtmf, FakeAudioBackend, type FakeSession, frame } from "../test/audio-fakes.js";
import { goertzelPower, sine } from "../test/audio-signals.js";
import { AudioBridge } from "./audio-bridge.js";
import type { AudioBridgeFormat, SourceAudio } from "./audio-bridge-types.js";
import { encodeMulaw } from "./g711.js";
import { encodeL16 } from "./l16.js";

const PCMU: AudioBridgeFormat = { codec: "pcmu", sampleRate: 8000, payloadType: 0 };
const L16_48K: AudioBridgeFormat = { codec: "l16", sampleRate: 48000, payloadType: 98 };

function room(strategy: "forward" | "mix") {
  const scheduler = new ManualScheduler();
  const backend = new FakeAudioBackend();
  const bridge = new AudioBridge<FakeSession>({
    scheduler,
    random: () => 0.5,
    forwardingStrategy: strategy,
  });
  const a: FakeSession = { id: "a" };
  const b: FakeSession = { id: "b" };
  bridge.addSession(a, "r", backend, PCMU);
  bridge.addSession(b, "r", backend, L16_48K);
  return { scheduler, backend, bridge, a, b };
}

describe("AudioBridge.sourceAudio$ (each participant's audio, decoded once)", () => {
  for (const strategy of ["forward", "mix"] as const) {
    it(`emits each source's PCM at its codec's rate, events without PCM (${strategy})`, () => {
      const { bridge, a, b } = room(strategy);
      const got: SourceAudio<FakeSession>[] = [];
      bridge.sourceAudio$.subscribe((s) => got.push(s));
      const tone = sine(440, 8000, 160, 8000);
      bridge.forward(a, frame("pcmu", encodeMulaw(tone)));
      const tone48 = sine(880, 48000, 960, 8000);
      bridge.forward(b, frame("l16", encodeL16(tone48), { payloadType: 98 }));
      bridge.forward(a, frame("telephone-event", dtmf(5, true, 800), { payloadType: 101 }));
      expect(got.map((g) => [g.source.id, g.roomId, g.sampleRate, g.pcm?.length])).toEqual([
        ["a", "r", 8000, 160],
        ["b", "r", 48000, 960],
        ["a", "r", 8000, undefined],
      ]);
      const pcmA = got[0]!.pcm!;
      expect(goertzelPower(pcmA, 440, 8000)).toBeGreaterThan(50 * goertzelPower(pcmA, 1000, 8000));
      expect(got[2]!.frame.codec).toBe("telephone-event");
    });
  }

  it("still forwards what it decoded for its listener (the decoder runs once per frame)", () => {
    const { backend, bridge, a } = room("forward");
    let decodedFrames = 0;
    bridge.sourceAudio$.subscribe(() => decodedFrames++);
    const tone = sine(440, 8000, 160, 8000);
    bridge.forward(a, frame("pcmu", encodeMulaw(tone)));
    expect(decodedFrames).toBe(1);
    expect(bridge.stats()).toMatchObject({ framesSent: 1, transcoded: 1 });
    expect(backend.sent.length).toBeGreaterThan(0);
    expect(backend.sent.every((s) => s.to === "b")).toBe(true);
  });

  for (const strategy of ["forward", "mix"] as const) {
    it(`a session that subscribesAudio is sent nothing — no forward, transcode, mix or event — and is still a source (${strategy})`, () => {
      const scheduler = new ManualScheduler();
      const backend = new FakeAudioBackend();
      const bridge = new AudioBridge<FakeSession>({
        scheduler,
        random: () => 0.5,
        forwardingStrategy: strategy,
      });
      const phone: FakeSession = { id: "phone" };
      const other: FakeSession = { id: "other" };
      const bot: FakeSession = { id: "bot", subscribesAudio: true };
      bridge.addSession(phone, "r", backend, PCMU);
      bridge.addSession(other, "r", backend, PCMU);
      bridge.addSession(bot, "r", backend, L16_48K);
      const got: string[] = [];
      bridge.sourceAudio$.subscribe((s) => got.push(s.source.id));
      const tone = sine(440, 8000, 160, 8000);
      const tone48 = sine(880, 48000, 960, 8000);
      for (let i = 0; i < 10; i++) {
        bridge.forward(phone, frame("pcmu", encodeMulaw(tone)));
        bridge.forward(bot, frame("l16", encodeL16(tone48), { payloadType: 98 }));
        scheduler.advance(20);
      }
      bridge.forward(phone, frame("telephone-event", dtmf(5, true, 800), { payloadType: 101 }));
      expect(backend.sent.length).toBeGreaterThan(0);
      expect(backend.sent.filter((s) => s.to === "bot")).toEqual([]);
      // the bot's audio reaches the phones, and the listener sees both sources
      expect(backend.sent.some((s) => s.to === "phone")).toBe(true);
      expect(got).toContain("bot");
      expect(got).toContain("phone");
    });
  }

  it("completes on close", () => {
    const { bridge } = room("mix");
    let done = false;
    bridge.sourceAudio$.subscribe({ complete: () => (done = true) });
    bridge.close();
    expect(done).toBe(true);
  });
});
