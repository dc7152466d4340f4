import { HookResult, HookTrigger } from "@framewire/hooks";
import {
  type AudioFrame,
  AudioRtpSession,
  joinAnnexB,
  type MediaSession,
  RtpVideoBackend,
  type VideoFrame,
  VideoRtpSession,
} from "@framewire/rtp-video";
import { afterEach, describe, expect, it } from "vitest";
import { X264_PPS as PPS, X264_SPS_640X360 as SPS } from "../test/video-fakes.js";
import { AudioVideoChannel } from "./channels.js";
import { RoomKit } from "./room-kit.js";
import type { RoomSession } from "./room-session.js";

// SPS/PPS of a 640x360 x264 stream, and slices whose bodies hold no zero byte
const slice = (type: 1 | 5, size: number, fill: number) => {
  const n = new Uint8Array(size).fill(fill);
  n[0] = type === 5 ? 0x65 : 0x41;
  n[1] = 0x88;
  return n;
};
const keyframe = (fill: number) => joinAnnexB([SPS, PPS, slice(5, 4000, fill)]);
const delta = (fill: number) => joinAnnexB([slice(1, 900, fill)]);

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** phone is an external endpoint: a video and an audio RTP session on 127.0.0.1. */
async function phone() {
  const video = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0] });
  const audio = await AudioRtpSession.open({ localAddr: ["127.0.0.1", 0] });
  const frames: VideoFrame[] = [];
  const sound: AudioFrame[] = [];
  video.frames$.subscribe((f) => frames.push(f));
  audio.frames$.subscribe((f) => sound.push(f));
  cleanup.push(() => {
    video.close();
    audio.close();
  });
  return { video, audio, frames, sound };
}

async function setup() {
  const backend = new RtpVideoBackend({
    videoLocalAddr: ["127.0.0.1", 0],
    localAddr: ["127.0.0.1", 0],
  });
  const kit = new RoomKit();
  kit.registerChannel(new AudioVideoChannel("av", { backend, bridge: true, videoBridge: true }));
  cleanup.push(() => kit.close());
  const join = async (p: Awaited<ReturnType<typeof phone>>, id: string) => {
    const session = await kit.join("room-1", "av", {
      participantId: id,
      metadata: {
        videoRemoteAddr: ["127.0.0.1", p.video.localPort],
        remoteAddr: ["127.0.0.1", p.audio.localPort],
      },
    });
    p.video.setRemoteAddr(["127.0.0.1", session.video!.localPort]);
    p.audio.setRemoteAddr(["127.0.0.1", session.audio.localPort]);
    return session;
  };
  return { backend, kit, join };
}

describe("RoomKit + AudioVideoChannel over RTP on 127.0.0.1 (seed 000)", () => {
  it("two participants in a room see and hear each other", async () => {
    const { join } = await setup();
    const x = await phone();
    const y = await phone();
    await join(x, "x");
    await join(y, "y");
    x.video.sendFrame({ data: keyframe(0x11), keyframe: true, timestampMs: 0 });
    y.video.sendFrame({ data: keyframe(0x22), keyframe: true, timestampMs: 0 });
    for (let i = 1; i <= 5; i++) {
      x.video.sendFrame({ data: delta(0x11), timestampMs: i * 33 });
      y.video.sendFrame({ data: delta(0x22), timestampMs: i * 33 });
      x.audio.sendAudio({ data: new Uint8Array(160).fill(0x11) });
      y.audio.sendAudio({ data: new Uint8Array(160).fill(0x22) });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(
      () =>
        x.frames.length === 6 &&
        y.frames.length === 6 &&
        x.sound.length >= 5 &&
        y.sound.length >= 5,
    );
    expect(Buffer.compare(y.frames[0]!.data, keyframe(0x11))).toBe(0);
    expect(Buffer.compare(x.frames[0]!.data, keyframe(0x22))).toBe(0);
    expect(y.frames.every((f, i) => i === 0 || Buffer.compare(f.data, delta(0x11)) === 0)).toBe(
      true,
    );
    expect(y.sound[0]!.data[0]).toBe(0x11);
    expect(x.sound[0]!.data[0]).toBe(0x22);
  });

  it("an observing (async) BEFORE_BRIDGE_VIDEO hook sees frames without taking the room off the fast path", async () => {
    const { kit, join } = await setup();
    let observed = 0;
    kit.hook(
      HookTrigger.BEFORE_BRIDGE_VIDEO,
      () => {
        observed++;
      },
      { execution: "async" },
    );
    const x = await phone();
    const y = await phone();
    const sx = await join(x, "x");
    await join(y, "y");
    x.video.sendFrame({ data: keyframe(0x66), keyframe: true, timestampMs: 0 });
    await until(() => y.frames.length === 1 && observed === 1);
    // the fast path forwards inside forward(), synchronously
    const bridge = kit.videoBridge("av")!;
    let forwarded = 0;
    const sub = bridge.forwarded$.subscribe(() => forwarded++);
    const frame: VideoFrame = {
      ...y.frames[0]!,
      data: delta(0x66),
      keyframe: false,
      sequence: 1,
      timestampMs: 33,
    };
    bridge.forward(sx, frame);
    expect(forwarded).toBe(1);
    sub.unsubscribe();
  });

  it("a late joiner gets the cached keyframe at once", async () => {
    const { join } = await setup();
    const x = await phone();
    const y = await phone();
    await join(x, "x");
    x.video.sendFrame({ data: keyframe(0x33), keyframe: true, timestampMs: 0 });
    x.video.sendFrame({ data: delta(0x33), timestampMs: 33 });
    await new Promise((r) => setTimeout(r, 50));
    const joinedAt = Date.now();
    await join(y, "y");
    await until(() => y.frames.length >= 1, 1000);
    expect(Date.now() - joinedAt).toBeLessThan(100);
    expect(y.frames[0]!.keyframe).toBe(true);
    expect(Buffer.compare(y.frames[0]!.data, keyframe(0x33))).toBe(0);
  });

  it("fires session and video-session started/ended once each; a BEFORE_BRIDGE_VIDEO hook can block", async () => {
    const { kit, join, backend } = await setup();
    const seen: string[] = [];
    for (const t of [
      HookTrigger.ON_SESSION_STARTED,
      HookTrigger.ON_SESSION_ENDED,
      HookTrigger.ON_VIDEO_SESSION_STARTED,
      HookTrigger.ON_VIDEO_SESSION_ENDED,
    ]) {
      kit.hook(
        t,
        (e: { session: RoomSession }) => {
          seen.push(`${t}:${e.session.participantId}`);
        },
        { execution: "async" },
      );
    }
    kit.hook(
      HookTrigger.BEFORE_BRIDGE_VIDEO,
      (e) => (e.session.participantId === "x" ? HookResult.block("muted") : HookResult.allow()),
      { roomId: "room-1" },
    );
    const x = await phone();
    const y = await phone();
    const sx = await join(x, "x");
    await join(y, "y");
    x.video.sendFrame({ data: keyframe(0x44), keyframe: true, timestampMs: 0 });
    y.video.sendFrame({ data: keyframe(0x55), keyframe: true, timestampMs: 0 });
    await until(() => x.frames.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(y.frames).toHaveLength(0); // x is blocked by the hook
    backend.disconnect(sx); // the backend ends x: unbound once
    await kit.leave(sx); // already gone: nothing more
    await until(() => seen.filter((s) => s.endsWith(":x")).length === 4);
    expect(seen.filter((s) => s.endsWith(":x")).sort()).toEqual([
      "on_session_ended:x",
      "on_session_started:x",
      "on_video_session_ended:x",
      "on_video_session_started:x",
    ]);
    expect(kit.getSessions("room-1").map((s) => s.participantId)).toEqual(["y"]);
  });
});
