// The seed's continuity through the client, on virtual time: what the client hands the encoder
// and the audio bridge, tick by tick (`connector.backend` carries the participant's published
// media into the room).
import { nativeCounts, VideoDecoder } from "@framewire/media";
import { flushPromises } from "@framewire/test-support";
import { decodeL16 } from "@framewire/video-bridge";
import { describe, expect, it } from "vitest";
import { phoneSession, room } from "../../test/fake-phones.js";
import { Connector } from "../core/connector.js";
import type { MediaBufferStats, SessionSettings, VideoFrame } from "./models.js";
import { VonageVideoClient } from "./vonage-video-client.js";

async function until(cond: () => boolean, turns = 500_000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await flushPromises();
  expect(cond()).toBe(true);
}

async function setup(settings: SessionSettings) {
  const r = room("forward");
  await r.kit.join("r", "av", { session: phoneSession("A") });
  const connector = new Connector(r.kit, { channelId: "av", scheduler: r.scheduler });
  const drains: MediaBufferStats[] = [];
  const client = new VonageVideoClient(connector, { scheduler: r.scheduler, identity: "bot" });
  await client.connect("app", "r", "no tokens here", settings, {
    onMediaBufferDrained: (stats) => drains.push(stats),
  });
  return { ...r, connector, client, drains };
}

/** gray is a YUV420P frame of luma `y` (chroma neutral). */
function gray(width: number, height: number, y: number): VideoFrame {
  const buf = new Uint8Array(width * height * 1.5).fill(128);
  buf.fill(y, 0, width * height);
  return { frameBuffer: buf, resolution: { width, height }, format: "YUV420P" };
}

describe("VonageVideoClient continuity (virtual time)", () => {
  it("video: black until the first addVideo, the last frame for exactly 2 s, then black; drained once per drain", async () => {
    const before = nativeCounts();
    const { scheduler, connector, client, drains } = await setup({
      av: { videoPublisher: { resolution: { width: 64, height: 48 }, fps: 10, format: "YUV420P" } },
    });
    const sent: { data: Uint8Array; keyframe: boolean }[] = [];
    const out = connector.backend.videoReceived$.subscribe((v) => sent.push(v.frame));
    await client.publish({ name: "Pattern", hasAudio: false });
    expect(client.getMediaBufferStats()).toEqual({ video: { durationMs: 0 } });
    const pub = connector.participants()[0]!.videoPublication!;
    const tick = async (n: number) => {
      for (let i = 0; i < n; i++) {
        scheduler.advance(100);
        await until(() => {
          const s = pub.stats();
          return s.captured === s.sent + s.dropped + s.encodeErrors;
        });
      }
    };
    await tick(5); // nothing added yet: black
    client.addVideo(gray(64, 48, 180));
    expect(client.getMediaBufferStats()).toEqual({ video: { durationMs: 100 } });
    await tick(30); // the frame, 19 repeats (2 s in all), then black
    expect(drains).toHaveLength(1); // the tick after the frame found the queue empty; once
    client.addVideo(gray(64, 48, 60));
    client.addVideo(gray(64, 48, 60));
    client.addVideo(gray(64, 48, 60));
    await tick(5);
    expect(drains).toHaveLength(2);
    client.addVideo(gray(64, 48, 60));
    client.clearMediaBuffers();
    expect(client.getMediaBufferStats()).toEqual({ video: { durationMs: 0 } });
    out.unsubscribe();
    expect(pub.stats()).toMatchObject({ captured: 40, sent: 40, dropped: 0, encodeErrors: 0 });
    expect(sent[0]!.keyframe).toBe(true);

    // decode what reached the room and name each picture by its luma
    const decoder = new VideoDecoder({ codec: "h264" });
    const kinds: string[] = [];
    for (const f of sent)
      for (const p of await decoder.decode(f.data)) {
        let sum = 0;
        for (let i = 0; i < 64 * 48; i++) sum += p.data[p.planes[0]!.offset + i]!;
        const y = sum / (64 * 48);
        kinds.push(
          Math.abs(y - 16) < 6
            ? "black"
            : Math.abs(y - 180) < 6
              ? "A"
              : Math.abs(y - 60) < 6
                ? "B"
                : `?${y}`,
        );
      }
    await decoder.close();
    const runs: string[] = [];
    for (const k of kinds) {
      const last = runs.at(-1)?.split("×");
      if (last?.[0] === k) runs[runs.length - 1] = `${k}×${Number(last[1]) + 1}`;
      else runs.push(`${k}×1`);
    }
    // 5 black; the frame once and repeated for 2 s (20 ticks at 10 fps); black; three new frames,
    // the last of them repeated
    expect(runs).toEqual(["black×5", "A×20", "black×10", "B×5"]);
    await client.disconnect();
    expect(nativeCounts()).toEqual(before);
  });

  it("audio: leading silence, full periods, a tolerated gap sends nothing, a padded flush, explicit silence; drained once per drain", async () => {
    const { scheduler, connector, client, drains } = await setup({
      av: { audioPublisher: { sampleRate: 16000, numberOfChannels: 1 } },
    });
    const sent: { atMs: number; pcm: Int16Array }[] = [];
    const out = connector.backend.audioReceived$.subscribe((a) =>
      sent.push({ atMs: scheduler.now(), pcm: decodeL16(a.frame.data) }),
    );
    await client.publish({ name: "Tone", hasVideo: false });
    const t0 = scheduler.now();
    scheduler.advance(60); // three periods of leading silence
    // 50 ms of a 500 Hz tone: two full periods and a half
    const n = 800;
    const tone = new Int16Array(n);
    for (let i = 0; i < n; i++)
      tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 16000));
    client.addAudio({
      sampleBuffer: tone,
      sampleRate: 16000,
      numberOfChannels: 1,
      numberOfFrames: n,
    });
    expect(client.getMediaBufferStats()).toEqual({ audio: { durationMs: 50 } });
    scheduler.advance(200);
    expect(drains).toHaveLength(1);
    client.addAudio({
      sampleBuffer: tone.subarray(0, 320),
      sampleRate: 16000,
      numberOfChannels: 1,
      numberOfFrames: 320,
    });
    scheduler.advance(60);
    expect(drains).toHaveLength(2);
    out.unsubscribe();
    const energy = (x: Int16Array) => x.reduce((e, v) => e + v * v, 0);
    const kind = (x: Int16Array) => {
      const first = energy(x.subarray(0, x.length / 2 - 60));
      const second = energy(x.subarray(x.length / 2 + 60));
      if (first === 0 && second === 0) return "silence";
      if (second < first / 1000) return "padded";
      return "audio";
    };
    const timeline = sent.map((s) => `${s.atMs - t0}:${kind(s.pcm)}`);
    expect(sent.every((s) => s.pcm.length === 960)).toBe(true); // 20 ms at the room's 48 kHz
    // 20, 40, 60: silence; 80, 100: the tone; 120..200: nothing (a 100 ms tolerance); 220: the
    // half period padded; then explicit silence; 280: the next 20 ms, then a gap again
    expect(timeline).toEqual([
      "20:silence",
      "40:silence",
      "60:silence",
      "80:audio",
      "100:audio",
      "220:padded",
      "240:silence",
      "260:silence",
      "280:audio",
    ]);
    await client.disconnect();
  });
});
