// Audio bridge micro-benchmarks (tinybench): G.711, resampling, mixing, a 10-party bridge tick.
// Run: pnpm --filter @framewire/video-bridge bench. Its rows of the summary table (median time per
// call) go to .bench-results/audio.json (@framewire/test-support/bench-results).

import {
  envPrefix,
  headRevision,
  packageDir,
  writeResults,
} from "@framewire/test-support/bench-results";
import { Bench } from "tinybench";
import { AudioBridge, AudioMixer, decodeMulaw, encodeMulaw, Resampler } from "../src/index.js";

function sine(freq: number, rate: number, n: number, amp: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

const pcm = sine(440, 8000, 160, 8000);
const ulaw = encodeMulaw(pcm);
const outBytes = new Uint8Array(160);
const outPcm = new Int16Array(160);
const up = new Resampler(8000, 48000);
const down = new Resampler(48000, 8000);
const f8 = sine(440, 8000, 160, 8000);
const f48 = sine(440, 48000, 960, 8000);
const mixer = new AudioMixer({ sampleRate: 48000, jitterMs: 20 });
for (let p = 0; p < 10; p++) mixer.add(`p${p}`);
// a 10-party PCMU room in "mix", ticked by hand through a minimal scheduler
let now = 0;
const tasks: { at: number; run: () => void }[] = [];
const scheduler = {
  now: () => now,
  schedule(work: (this: unknown, state?: unknown) => void, delay = 0, state?: unknown) {
    const t = {
      at: now + delay,
      run: () =>
        work.call({ schedule: (s?: unknown, d = 0) => scheduler.schedule(work, d, s) }, state),
    };
    tasks.push(t);
    return { unsubscribe: () => tasks.splice(tasks.indexOf(t), 1), closed: false } as never;
  },
};
const advance = (ms: number) => {
  now += ms;
  for (;;) {
    const due = tasks.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
    if (due === undefined) break;
    tasks.splice(tasks.indexOf(due), 1);
    due.run();
  }
};
const bridge = new AudioBridge<{ id: string }>({
  scheduler: scheduler as never,
  forwardingStrategy: "mix",
});
const backend = { sendAudio: () => true };
const parties = Array.from({ length: 10 }, (_, i) => ({ id: `p${i}` }));
for (const s of parties)
  bridge.addSession(s, "room", backend, { codec: "pcmu", sampleRate: 8000, payloadType: 0 });
let seq = 0;
const frame = () => ({
  codec: "pcmu" as const,
  payloadType: 0,
  data: ulaw,
  rtpTimestamp: seq * 160,
  timestampMs: seq * 20,
  sequenceNumber: seq & 0xffff,
  marker: false,
});

const bench = new Bench({ time: 1000 });
bench
  .add("G.711 µ-law encode 20 ms (160 samples)", () => encodeMulaw(pcm, outBytes))
  .add("G.711 µ-law decode 20 ms", () => decodeMulaw(ulaw, outPcm))
  .add("resample 8→48 kHz, 20 ms", () => up.process(f8))
  .add("resample 48→8 kHz, 20 ms", () => down.process(f48))
  .add("mixer tick: 10 parties × 48 kHz (mix-minus)", () => {
    for (let p = 0; p < 10; p++) mixer.push(`p${p}`, f48);
    mixer.mix();
  })
  .add("bridge tick: 10 PCMU parties, forward ×10 + decode/mix/encode ×10", () => {
    seq++;
    for (const s of parties) bridge.forward(s, frame());
    advance(20);
  });
await bench.run();
console.table(
  bench.tasks.map((t) => ({
    task: t.name,
    "median µs": Number(((t.result?.latency.p50 ?? Number.NaN) * 1000).toFixed(2)),
    samples: t.result?.latency.samples.length,
  })),
);
const dir = packageDir(import.meta.dirname);
writeResults(dir, {
  bench: "audio",
  order: 40,
  packageName: "@framewire/video-bridge",
  revision: headRevision(dir),
  notes: [],
  rows: bench.tasks.map((t) => ({
    what: `Audio: ${t.name}`,
    ours: { value: (t.result?.latency.p50 ?? Number.NaN) * 1000, unit: "µs" },
    anchor: null,
    ratio: null,
    target: null,
    verdict: "—",
    command: `cd packages/video-bridge && ${envPrefix()}pnpm exec tsx --conditions=@framewire/source bench/audio.ts`,
  })),
});
bridge.close();
