// End-to-end through the "mix" strategy: three fake participants, 10 s of audio each, packets
// arriving with network jitter in virtual time; each participant must hear the other two tones
// and not its own.
import type { AudioCodec } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { FakeAudioBackend, type FakeSession, frame, pcmuTone } from "../test/audio-fakes.js";
import { concat, db, goertzelPower, sine } from "../test/audio-signals.js";
import { AudioBridge } from "./audio-bridge.js";
import type { AudioBridgeFormat } from "./audio-bridge-types.js";
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from "./g711.js";
import { decodeL16, encodeL16 } from "./l16.js";

interface Party {
  readonly id: string;
  readonly hz: number;
  readonly format: AudioBridgeFormat;
  /** frames are the 20 ms payloads it sends. */
  readonly frames: readonly Uint8Array[];
}

const SECONDS = 10;
const FRAMES = SECONDS * 50;

function payloads(pcm: Int16Array, perFrame: number, encode: (x: Int16Array) => Uint8Array) {
  const out: Uint8Array[] = [];
  for (let i = 0; i < FRAMES; i++) out.push(encode(pcm.subarray(i * perFrame, (i + 1) * perFrame)));
  return out;
}

function encoderFor(format: AudioBridgeFormat): (pcm: Int16Array) => Uint8Array {
  if (format.codec === "pcmu") return (x) => encodeMulaw(x);
  if (format.codec === "pcma") return (x) => encodeAlaw(x);
  return (x) => encodeL16(x);
}

/** tone is a party sending a `hz` sine (amplitude 5000) for SECONDS, in 20 ms frames of `format`. */
function tone(id: string, hz: number, format: AudioBridgeFormat): Party {
  const rate = format.sampleRate;
  const pcm = sine(hz, rate, rate * SECONDS, 5000);
  return { id, hz, format, frames: payloads(pcm, rate / 50, encoderFor(format)) };
}

function decoderFor(format: AudioBridgeFormat): (data: Uint8Array) => Int16Array {
  if (format.codec === "pcmu") return (d) => decodeMulaw(d);
  if (format.codec === "pcma") return (d) => decodeAlaw(d);
  return (d) => decodeL16(d);
}

/** lcg is a small deterministic PRNG for the jitter. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

function run(parties: readonly Party[], jitterMs: number) {
  const scheduler = new ManualScheduler();
  const backend = new FakeAudioBackend();
  const bridge = new AudioBridge<FakeSession>({ scheduler, forwardingStrategy: "mix" });
  const sessions = new Map(parties.map((p) => [p.id, { id: p.id }]));
  for (const p of parties)
    bridge.addSession(sessions.get(p.id) as FakeSession, "room", backend, p.format);
  const random = lcg(42);
  // Each party sends a frame every 20 ms; the network delays each by 0 … jitterMs, in order.
  for (const p of parties) {
    let lastArrival = 0;
    p.frames.forEach((data, i) => {
      const arrival = Math.max(lastArrival, 20 * i + random() * jitterMs);
      lastArrival = arrival;
      const codec = p.format.codec as AudioCodec;
      scheduler.schedule(() => {
        bridge.forward(sessions.get(p.id) as FakeSession, frame(codec, data, { marker: i === 0 }));
      }, arrival);
    });
  }
  // Streams end at 10 s (each end is one underrun per mixer): take the counters just before.
  scheduler.advance(SECONDS * 1000 - 100);
  const midStream = bridge.stats();
  scheduler.advance(300);
  return { bridge, backend, midStream };
}

function check(parties: readonly Party[], jitterMs: number) {
  const { bridge, backend, midStream } = run(parties, jitterMs);
  const report: string[] = [];
  for (const target of parties) {
    const rate = target.format.sampleRate;
    const pcm = concat(backend.to(target.id).map((s) => decoderFor(target.format)(s.data)));
    expect(pcm.length).toBeGreaterThanOrEqual(rate * (SECONDS - 0.1));
    // Measure over the steady part: skip the first half second and the tail.
    const from = rate / 2;
    const to = rate * (SECONDS - 0.5);
    const amp = (hz: number) => Math.sqrt(2 * goertzelPower(pcm, hz, rate, from, to));
    const own = amp(target.hz);
    const line = [`${target.id} (${target.format.codec}/${rate})`];
    for (const other of parties) {
      if (other === target) continue;
      const a = amp(other.hz);
      line.push(`${other.hz} Hz ${a.toFixed(0)}`);
      expect(a).toBeGreaterThan(2500);
      expect(db(own / a)).toBeLessThan(-40);
    }
    line.push(`own ${target.hz} Hz ${own.toFixed(1)}`);
    report.push(line.join(", "));
  }
  const stats = bridge.stats();
  console.info(
    `mix e2e (jitter ${jitterMs} ms): ${report.join("; ")}; mid-stream mixer ${JSON.stringify(midStream.mixer)}`,
  );
  expect(stats.targetErrors).toBe(0);
  expect(stats.mixer.saturatedSamples).toBe(0);
  bridge.close();
  return midStream;
}

describe("AudioBridge mix end to end", () => {
  it("three PCMU participants (the pcmu-tone fixture at 440 Hz, 1000 Hz, 1700 Hz): each hears the other two, not itself", () => {
    const PCMU: AudioBridgeFormat = { codec: "pcmu", sampleRate: 8000, payloadType: 0 };
    const fixture = pcmuTone();
    const parties: Party[] = [
      {
        id: "a",
        hz: 440,
        format: PCMU,
        frames: Array.from({ length: FRAMES }, (_, i) => fixture.subarray(i * 160, (i + 1) * 160)),
      },
      tone("b", 1000, PCMU),
      tone("c", 1700, PCMU),
    ];
    const clean = check(parties, 0);
    expect(clean.mixer.underruns).toBe(0);
    expect(clean.mixer.droppedSamples).toBe(0);
    // Up to 30 ms of network jitter fits in the 40 ms jitter buffer: still no underrun or drop.
    const jittery = check(parties, 30);
    expect(jittery.mixer.underruns).toBe(0);
    expect(jittery.mixer.droppedSamples).toBe(0);
  });

  it("mixed formats: PCMU 8 kHz, L16 16 kHz, L16 48 kHz and PCMA 8 kHz hear each other through resampling", () => {
    const parties: Party[] = [
      tone("a", 440, { codec: "pcmu", sampleRate: 8000, payloadType: 0 }),
      tone("b", 1000, { codec: "l16", sampleRate: 16000, payloadType: 97 }),
      tone("c", 1700, { codec: "l16", sampleRate: 48000, payloadType: 98 }),
      tone("d", 2500, { codec: "pcma", sampleRate: 8000, payloadType: 8 }),
    ];
    const stats = check(parties, 10);
    expect(stats.mixer.underruns).toBe(0);
  });

  it("a 10-party PCMU room mixes every tick (decode, mix-minus, encode ×10)", () => {
    const scheduler = new ManualScheduler();
    const backend = new FakeAudioBackend();
    backend.onSend = () => true;
    const bridge = new AudioBridge<FakeSession>({
      scheduler,
      forwardingStrategy: "mix",
      levels: true,
    });
    const sessions = Array.from({ length: 10 }, (_, i) => ({ id: `p${i}` }));
    for (const s of sessions) {
      bridge.addSession(s, "room", backend, { codec: "pcmu", sampleRate: 8000, payloadType: 0 });
    }
    const data = encodeMulaw(sine(440, 8000, 160, 3000));
    const ticks = 500;
    for (let i = 0; i < ticks; i++) {
      for (const s of sessions) bridge.forward(s, frame("pcmu", data));
      scheduler.advance(20);
    }
    expect(bridge.stats().mixed).toBe(ticks * 10); // silence while the jitter buffer fills
    bridge.close();
  });
});
