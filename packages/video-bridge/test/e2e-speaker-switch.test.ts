/**
 * End to end, speaker switching with three callers sending distinct H.264 streams into one room
 * (RtpVideoBackend sessions P1, P2, P3 on 127.0.0.1) and three GStreamer receivers decoding what
 * the bridge sends to each (gst-recv-h264.sh; avdec_h264):
 *
 *   P1 ← gst-send-h264.sh    x264enc, zone plate, 640x360, IDR every 30 frames
 *   P2 ← ffmpeg-send-h264.sh libx264 via FFmpeg, testsrc2, 320x240, IDR every 30 frames
 *   P3 ← our VideoRtpSession sending fixtures/test.h264 (640x360, 30 fps, IDR every 30 frames)
 *
 * Each caller is a "phone" with one UDP socket (relayPhone): its sender's RTP leaves it for the
 * session, and the session's RTP to it goes on to the caller's receiver, so the sessions run with
 * symmetric RTP as with real endpoints. The speaker moves P2 (t≈3.5 s) → P3 (t≈6.5 s) → P1 (t≈9.5 s), driven either
 * by `setActiveSpeaker` on the kit's video bridge, or by louder audio (a PCMU tone from the
 * speaker's phone, silence from the others) through the AudioVideoChannel's audio bridge, whose
 * active speaker drives the video bridge. Every receiver switches source at least once.
 *
 * For each receiver: GStreamer decodes as many frames as the bridge sent it, with 0 errors; on the
 * wire (tshark on lo) its stream keeps one SSRC, has no sequence gap, and its RTP timestamps never
 * go back — across each switch the timestamp moves forward by less than a second and the
 * wall-clock gap between frames stays small.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AudioRtpSession,
  type MediaSession,
  RtpVideoBackend,
  splitAccessUnits,
  VideoRtpSession,
} from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import {
  type Child,
  continuity,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  paced,
  parseGstRecv,
  problemLines,
  type RtpOnWire,
  readText,
  relayPhone,
  report,
  rtpPackets,
  runCleanups,
  sleep,
  startCapture,
  startScript,
  tempDir,
  waitForText,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { AudioVideoChannel, VideoChannel } from "../src/channels.js";
import { encodeMulaw } from "../src/g711.js";
import { RoomKit } from "../src/room-kit.js";
import type { RoomSession } from "../src/room-session.js";
import type { ForwardedVideoFrame, VideoBridgeEvent } from "../src/video-bridge-types.js";

const switchTest = itWithPeers(["gst-launch-1.0", "ffmpeg", "tshark", "timeout"]);
const ROOM = "room-3";
const FPS = 30;
const SEND_SECONDS = 12;
/** speaker schedule, ms after the senders start: who becomes the active speaker */
const SCHEDULE = [
  { at: 3_500, speaker: 1 },
  { at: 6_500, speaker: 2 },
  { at: 9_500, speaker: 0 },
] as const;

afterEach(async () => {
  await runCleanups();
});

interface WireFrame {
  readonly timestamp: number;
  /** endMs: capture time of the frame's last packet (marker). */
  readonly endMs: number;
}

/** wireFrames groups captured packets into frames (a frame ends with a marker packet). */
function wireFrames(packets: readonly RtpOnWire[]): WireFrame[] {
  const out: WireFrame[] = [];
  let ts: number | undefined;
  for (const p of packets) {
    ts ??= p.timestamp;
    if (p.marker) {
      out.push({ timestamp: ts, endMs: p.epochMs });
      ts = undefined;
    }
  }
  return out;
}

/** tone is 20 ms of a 440 Hz sine at about −9 dBov as μ-law; silence is μ-law zero. */
function audioPayloads(): { tone: Uint8Array[]; silence: Uint8Array } {
  const tone: Uint8Array[] = [];
  for (let k = 0; k < 20; k++) {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      pcm[i] = Math.round(12_000 * Math.sin((2 * Math.PI * 440 * (k * 160 + i)) / 8000));
    }
    tone.push(encodeMulaw(pcm));
  }
  return { tone, silence: encodeMulaw(new Int16Array(160)) };
}

async function threeCallers(driver: "api" | "audio") {
  const dir = tempDir();
  const backend = new RtpVideoBackend({
    videoLocalAddr: [HOST, 0],
    localAddr: [HOST, 0],
  });
  const kit = new RoomKit();
  kit.registerChannel(
    driver === "api"
      ? new VideoChannel("v", { backend, bridge: true })
      : new AudioVideoChannel("v", { backend, bridge: true, videoBridge: true }),
  );
  onCleanup(() => {
    kit.close();
    backend.close();
  });
  const bridge = kit.videoBridge("v")!;
  const forwarded: { at: number; f: ForwardedVideoFrame<RoomSession> }[] = [];
  const switches: {
    at: number;
    e: Extract<VideoBridgeEvent<RoomSession>, { type: "source-switched" }>;
  }[] = [];
  const subs = [
    bridge.forwarded$.subscribe((f) => forwarded.push({ at: performance.now(), f })),
    bridge.events$.subscribe((e) => {
      if (e.type === "source-switched") switches.push({ at: performance.now(), e });
    }),
  ];
  const speakers: { at: number; id: string }[] = [];
  if (driver === "audio") {
    subs.push(
      kit
        .audioBridge("v")!
        .activeSpeaker$.subscribe((s) => speakers.push({ at: performance.now(), id: s.sessionId })),
    );
  }
  onCleanup(() => {
    for (const s of subs) s.unsubscribe();
  });

  // three receivers and one capture of what goes to them
  const rports = await Promise.all([0, 1, 2].map(() => freeUdpPorts(2)));
  const capture = await startCapture(
    join(dir, "out.pcap"),
    rports.map((p) => `udp dst port ${p}`).join(" or "),
    40,
  );
  const RECV_SECONDS = SEND_SECONDS + 6;
  const t0 = Date.now();
  const receivers: { out: string; proc: Child }[] = rports.map((port, i) => {
    const out = join(dir, `p${i + 1}-recv.h264`);
    const proc = startScript("gst-recv-h264.sh", [String(port), String(RECV_SECONDS), out], {
      timeoutMs: (RECV_SECONDS + 20) * 1000,
    });
    return { out, proc };
  });
  for (const r of receivers) {
    const ok = await waitForText(`${r.out}.log`, "Setting pipeline to PLAYING", 10_000);
    expect(ok, `gst-recv-h264.sh did not start:\n${readText(`${r.out}.log`)}`).toBe(true);
  }
  await sleep(Math.max(300, 1_500 - (Date.now() - t0)));

  // the phones' audio (louder audio drives the speaker in the "audio" variant)
  const phonesAudio = await Promise.all(
    [0, 1, 2].map(() => AudioRtpSession.open({ localAddr: [HOST, 0] })),
  );
  onCleanup(() => {
    for (const a of phonesAudio) a.close();
  });
  const phones = await Promise.all(rports.map((port) => relayPhone(port)));
  const sessions: MediaSession[] = [];
  for (let i = 0; i < 3; i++) {
    sessions.push(
      await kit.join(ROOM, "v", {
        participantId: `p${i + 1}`,
        metadata: {
          videoRemoteAddr: [HOST, phones[i]!.port],
          remoteAddr: [HOST, phonesAudio[i]!.localPort],
        },
      }),
    );
    phonesAudio[i]!.setRemoteAddr([HOST, sessions[i]!.audio.localPort]);
    phones[i]!.attach(sessions[i]!.video!.localPort);
  }

  // the three distinct H.264 sources
  const aus = splitAccessUnits(readFileSync(fixture("test.h264")));
  const units = aus.map((a) => a.data);
  const idr = aus.map((a) => a.keyframe);
  const phoneVideo = await VideoRtpSession.open({
    localAddr: [HOST, 0],
    remoteAddr: [HOST, phones[2]!.ingress],
  });
  onCleanup(() => phoneVideo.close());
  const phoneCounts = phones.map((p) => p.counts);
  const start = performance.now();
  const gst = startScript(
    "gst-send-h264.sh",
    [String(phones[0]!.ingress), String(SEND_SECONDS), "640x360", join(dir, "p1.sdp")],
    { timeoutMs: 60_000, env: { GST_DEBUG: "x264enc:4", GST_DEBUG_NO_COLOR: "1" } },
  );
  const ff = startScript(
    "ffmpeg-send-h264.sh",
    [String(phones[1]!.ingress), String(SEND_SECONDS), "320x240", "normal", join(dir, "p2.sdp")],
    { timeoutMs: 60_000 },
  );
  let phoneFrames = 0;
  const phoneLoop = paced(SEND_SECONDS * FPS, 1000 / FPS, (SEND_SECONDS + 5) * 1000, (i) => {
    const k = i % units.length; // the fixture starts with an IDR and has 300 frames: loops cleanly
    phoneVideo.sendFrame({ data: units[k]!, keyframe: idr[k]!, timestampMs: (i * 1000) / FPS });
    phoneFrames++;
  });
  const { tone, silence } = audioPayloads();
  let speaker = -1;
  const audioLoop =
    driver === "audio"
      ? paced(SEND_SECONDS * 50, 20, (SEND_SECONDS + 5) * 1000, (n) => {
          for (let i = 0; i < 3; i++) {
            phonesAudio[i]!.sendAudio({ data: i === speaker ? tone[n % tone.length]! : silence });
          }
        })
      : Promise.resolve();
  const speakerChanges: { at: number; speaker: string }[] = [];
  for (const step of SCHEDULE) {
    const wait = start + step.at - performance.now();
    if (wait > 0) await sleep(wait);
    speakerChanges.push({ at: performance.now(), speaker: `p${step.speaker + 1}` });
    if (driver === "api") bridge.setActiveSpeaker(ROOM, sessions[step.speaker]!.id);
    else speaker = step.speaker;
  }
  await Promise.all([phoneLoop, audioLoop]);
  const [gstRun, ffRun] = await Promise.all([gst.done, ff.done]);
  expect(gstRun.code, gstRun.stderr).toBe(0);
  expect(ffRun.code, ffRun.stderr).toBe(0);
  const done = await Promise.all(receivers.map((r) => r.proc.done));
  await capture.stop();
  const sentStats = sessions.map((s) => s.video!.stats().sent);
  const inStats = sessions.map((s) => s.video!.stats());
  const packets = await Promise.all(rports.map((p) => rtpPackets(capture.file, p)));

  const name = (id: string) => sessions.find((s) => s.id === id)?.participantId ?? id;
  const results = sessions.map((s, i) => {
    const toMe = forwarded.filter((x) => x.f.target.id === s.id);
    const wire = wireFrames(packets[i]!);
    const cont = continuity(packets[i]!);
    const gstSummary = parseGstRecv(done[i]!.stdout);
    const order: string[] = [];
    const at: { index: number; from: string; to: string; tsDelta: number; gapMs: number }[] = [];
    toMe.forEach((x, k) => {
      const src = name(x.f.source.id);
      if (order.at(-1) !== src) {
        order.push(src);
        if (k > 0 && wire[k] !== undefined && wire[k - 1] !== undefined) {
          at.push({
            index: k,
            from: order.at(-2)!,
            to: src,
            tsDelta: (wire[k]!.timestamp - wire[k - 1]!.timestamp) | 0,
            gapMs: wire[k]!.endMs - wire[k - 1]!.endMs,
          });
        }
      }
    });
    const steps = new Map<number, number>();
    for (let k = 1; k < wire.length; k++) {
      const d = (wire[k]!.timestamp - wire[k - 1]!.timestamp) | 0;
      steps.set(d, (steps.get(d) ?? 0) + 1);
    }
    return { s, toMe, wire, cont, gstSummary, order, at, steps };
  });
  for (const r of results) {
    report(`speaker switch (${driver}) → ${r.s.participantId}`, {
      sources: r.order.join("→"),
      framesForwarded: r.toMe.length,
      cached: r.toMe.filter((x) => x.f.cached).length,
      sent: sessions.indexOf(r.s) >= 0 ? sentStats[sessions.indexOf(r.s)] : undefined,
      gstFramesDecoded: r.gstSummary.framesDecoded,
      gstWarnings: r.gstSummary.warnings,
      gstErrors: r.gstSummary.errors,
      decodedVsSent: `${r.gstSummary.framesDecoded}/${r.toMe.length}`,
      wire: r.cont,
      switches: r.at,
      commonTsSteps: [...r.steps.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([d, n]) => `${d}×${n}`)
        .join(","),
    });
  }
  const stats = bridge.stats();
  report(`speaker switch (${driver}) bridge`, {
    framesIn: inStats.map((s, i) => `p${i + 1}:${s.frames}/${s.keyframes}kf`).join(" "),
    phoneFrames,
    relays: phoneCounts,
    speakerChanges: speakerChanges
      .map((c) => `${c.speaker}@${Math.round(c.at - start)}ms`)
      .join(" "),
    activeSpeaker$:
      driver === "audio"
        ? speakers.map((s) => `${name(s.id)}@${Math.round(s.at - start)}ms`).join(" ")
        : "n/a",
    switchEvents: switches
      .map(
        (x) =>
          `${x.e.target.participantId}:${x.e.from?.participantId ?? "-"}→${x.e.to.participantId}${x.e.cached ? "(cached)" : ""}@${Math.round(x.at - start)}ms`,
      )
      .join(" "),
    bridge: {
      framesIn: stats.framesIn,
      framesSent: stats.framesSent,
      switches: stats.switches,
      droppedGated: stats.droppedGated,
      keyframeRequests: stats.keyframeRequests,
      codecMismatch: stats.codecMismatch,
      targetErrors: stats.targetErrors,
    },
  });

  // every source sent all along, and its frames came out of the backend
  for (const s of inStats) expect(s.frames).toBeGreaterThanOrEqual(SEND_SECONDS * FPS - 2);
  if (driver === "audio") {
    expect(speakers.map((s) => name(s.id))).toEqual(["p2", "p3", "p1"]);
  }
  for (const r of results) {
    const i = sessions.indexOf(r.s);
    const log = readText(`${receivers[i]!.out}.log`);
    // the receiver switched source at least once after its first source
    expect(
      r.order.length,
      `${r.s.participantId} sources ${r.order.join("→")}`,
    ).toBeGreaterThanOrEqual(2);
    expect(r.toMe.length).toBeGreaterThan(250);
    expect(sentStats[i]!.frames).toBe(r.toMe.length);
    // on the wire: one continuous stream
    expect(r.cont).toMatchObject({ ssrcs: 1, seqGaps: 0, backwardSteps: 0, sameTsAcrossFrames: 0 });
    expect(r.cont.packets).toBe(sentStats[i]!.packets);
    expect(r.wire).toHaveLength(r.toMe.length);
    for (const sw of r.at) {
      expect(sw.tsDelta, JSON.stringify(sw)).toBeGreaterThan(0);
      expect(sw.tsDelta, JSON.stringify(sw)).toBeLessThan(90_000);
      expect(sw.gapMs, JSON.stringify(sw)).toBeLessThan(200);
    }
    // decoded: every frame, no error
    expect(r.gstSummary.errors, problemLines(log).join("\n")).toBe(0);
    expect(r.gstSummary.framesDecoded).toBe(r.toMe.length);
  }
}

describe("three callers, speaker switches, GStreamer receivers", () => {
  switchTest(
    "setActiveSpeaker p2 → p3 → p1: each receiver decodes a continuous stream, RTP timestamps monotonic",
    async () => {
      await threeCallers("api");
    },
    90_000,
  );

  switchTest(
    "louder audio p2 → p3 → p1 (AudioVideoChannel): the audio bridge's speaker switches the video the same way",
    async () => {
      await threeCallers("audio");
    },
    90_000,
  );
});
