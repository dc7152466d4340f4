// The LiveKit-style facade with real media (@framewire/media): raw frames from a phone's H.264,
// H.264 to the phones from a VideoSource, a publication's re-bind, AudioSource paced on virtual time.
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { flushPromises, g711Decode, h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { phoneSession, room } from "../../test/fake-phones.js";
import { Connector } from "../core/connector.js";
import { loadMedia } from "../core/media-loader.js";
import { AudioFrame } from "./audio-frame.js";
import { AudioSource } from "./audio-source.js";
import { TrackSource, VideoBufferType } from "./enums.js";
import { Room } from "./room.js";
import { RoomEvent } from "./room-event.js";
import { LocalAudioTrack, LocalVideoTrack } from "./track.js";
import { TrackPublishOptions, VideoEncoding } from "./track-publish-options.js";
import { VideoFrame } from "./video-frame.js";
import { VideoSource } from "./video-source.js";
import { type VideoFrameEvent, VideoStream } from "./video-stream.js";

const aus = h264AccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))), {
  splitAnnexB,
  joinAnnexB,
});

function au(i: number, timestampMs = i * 33) {
  return {
    codec: "h264" as const,
    data: aus.units[i]!,
    keyframe: aus.idr[i]!,
    timestampMs,
    rtpTimestamp: (1000 + timestampMs * 90) >>> 0,
    sequence: i,
    width: 640,
    height: 360,
  };
}

async function connected(strategy: "mix" | "forward" = "mix") {
  const r = room(strategy);
  const a = await r.kit.join("r", "av", { session: phoneSession("A") });
  const connector = new Connector(r.kit, { channelId: "av", scheduler: r.scheduler });
  const lk = new Room();
  // a connector without tokens takes the identity from the token's sub, unverified
  const token = `e30.${Buffer.from(JSON.stringify({ sub: "bot", video: { room: "r" } })).toString("base64url")}.x`;
  await lk.connect(connector, token);
  await flushPromises();
  return { ...r, a, connector, lk };
}

async function take(stream: VideoStream, n: number): Promise<VideoFrameEvent[]> {
  const out: VideoFrameEvent[] = [];
  const reader = stream.getReader();
  while (out.length < n) {
    const r = await reader.read();
    if (r.done) break;
    out.push(r.value);
  }
  reader.releaseLock();
  return out;
}

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("LiveKit-style facade with real media", () => {
  it("a VideoStream over a phone's H.264 yields RGBA and I420 VideoFrames of the right size", async () => {
    const { phones, a, lk } = await connected();
    const track = [...lk.remoteParticipants.get("A")!.trackPublications.values()][0]!.track!;
    const rgba = new VideoStream(track, { format: VideoBufferType.RGBA, capacity: 30 });
    const i420 = VideoStream.fromTrack(track, { capacity: 30 });
    for (let i = 0; i < 12; i++) phones.video.next({ session: a, frame: au(i) });
    const got = await take(rgba, 5);
    expect(
      got.map((e) => [e.frame.type, e.frame.width, e.frame.height, e.frame.data.length]),
    ).toEqual(Array(5).fill([VideoBufferType.RGBA, 640, 360, 640 * 360 * 4]));
    expect(got[0]!.timestampUs).toBe(0n);
    expect(got[1]!.timestampUs).toBeGreaterThan(0n);
    const [f] = await take(i420, 1);
    expect(f!.frame.type).toBe(VideoBufferType.I420);
    expect(
      [0, 1, 2, 3].map((i) => (f!.frame.getPlane(i) as Uint8Array | undefined)?.length),
    ).toEqual([640 * 360, 320 * 180, 320 * 180, undefined]);
    const bgra = f!.frame.convert(VideoBufferType.BGRA);
    expect([bgra.type, bgra.data.length]).toEqual([VideoBufferType.BGRA, 640 * 360 * 4]);
    // BGRA and RGBA of one picture: the same pixels, R and B swapped
    const r0 = got[0]!.frame.data;
    const c = f!.frame.convert(VideoBufferType.RGBA).data;
    expect(Math.abs(c[0]! - bgra.data[2]!)).toBeLessThanOrEqual(1);
    expect(r0.length).toBe(c.length);
    expect(rgba.stats()).toMatchObject({ received: 12, delivered: 5 });
    await rgba.cancel();
    expect(rgba.endReason).toBe("unsubscribed");
    await lk.disconnect();
    expect(await i420.ended).toBe("closed");
  });

  it("VideoSource + publishTrack: the phones receive H.264 of the source's size; unpublish stops it", async () => {
    const { phones, lk, connector } = await connected();
    const media = await loadMedia();
    const published: string[] = [];
    lk.on(RoomEvent.LocalTrackPublished, (pub) => published.push(`+${TrackSource[pub.source!]}`));
    lk.on(RoomEvent.LocalTrackUnpublished, (pub) => published.push(`-${TrackSource[pub.source!]}`));
    const source = new VideoSource(320, 180, { isScreencast: true });
    const frame = new VideoFrame(
      new Uint8Array(64 * 36 * 4).fill(200),
      64,
      36,
      VideoBufferType.RGBA,
    );
    source.captureFrame(frame); // before publishing: kept, sent when publishing starts
    const track = LocalVideoTrack.createVideoTrack("screen", source);
    const options = new TrackPublishOptions({
      videoEncoding: new VideoEncoding({ maxBitrate: 300_000n, maxFramerate: 15 }),
    });
    const pub = await lk.localParticipant!.publishTrack(track, options);
    expect(pub.source).toBe(TrackSource.SOURCE_SCREENSHARE);
    expect(pub.mimeType).toBe("video/H264");
    expect(lk.localParticipant!.trackPublications.get(pub.sid!)).toBe(pub);
    await pub.waitForSubscription();
    for (let i = 1; i < 4; i++) source.captureFrame(frame, BigInt(i * 66_000));
    await until(() => phones.sentVideo.filter((s) => s.to === "A").length >= 2);
    const toA = phones.sentVideo.filter((s) => s.to === "A");
    expect(toA[0]!.keyframe).toBe(true);
    const decoder = new media.VideoDecoder({ codec: "h264" });
    const pictures = [...(await decoder.decode(toA[0]!.data)), ...(await decoder.flush())];
    await decoder.close();
    expect(pictures[0]).toMatchObject({ width: 320, height: 180 });
    await lk.localParticipant!.unpublishTrack(pub.sid!);
    expect(connector.participants()[0]!.session.tracks.video).toBe(false);
    expect(() => source.captureFrame(frame)).not.toThrow(); // kept again, for a next publish
    expect(published).toEqual(["+SOURCE_SCREENSHARE", "-SOURCE_SCREENSHARE"]);
    await source.close();
    expect(() => source.captureFrame(frame)).toThrow(/closed/);
    await lk.disconnect();
  });

  it("fromParticipant follows a participant's camera across unpublish and republish, ends when it leaves", async () => {
    const { connector, lk } = await connected();
    const other = await connector.join({ roomId: "r", identity: "other" });
    const po = lk.remoteParticipants.get("other")!;
    const stream = VideoStream.fromParticipant(po, TrackSource.SOURCE_CAMERA, {
      format: VideoBufferType.RGB24,
      capacity: 30,
    });
    const write = (pub: Awaited<ReturnType<typeof other.publishVideo>>) => {
      for (let i = 0; i < 8; i++) pub.writeEncoded({ data: aus.units[i]!, keyframe: aus.idr[i]! });
    };
    const pub1 = await other.publishVideo({ width: 640, height: 360, encoded: true });
    write(pub1);
    const first = await take(stream, 2);
    await pub1.close();
    const pending = take(stream, 2);
    await flushPromises();
    const pub2 = await other.publishVideo({ width: 640, height: 360, encoded: true });
    write(pub2);
    const second = await pending;
    expect([...first, ...second].map((e) => [e.frame.type, e.frame.width])).toEqual(
      Array(4).fill([VideoBufferType.RGB24, 640]),
    );
    expect(stream.rebinds).toBe(1);
    const rest = (async () => {
      let n = 0;
      for await (const _ of stream) n++;
      return n;
    })();
    await other.leave();
    expect(await rest).toBeGreaterThanOrEqual(0);
    expect(stream.endReason).toBe("participantLeft");
    await lk.disconnect();
  });

  it("AudioSource published: captureFrame back-pressure, the phones hear it, waitForPlayout and clearQueue on the output clock", async () => {
    const { scheduler, phones, lk, connector } = await connected("forward");
    const source = new AudioSource(16000, 1, 40, { scheduler, periodMs: 20 });
    const track = LocalAudioTrack.createAudioTrack("voice", source);
    const pub = await lk.localParticipant!.publishTrack(
      track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
    );
    expect(pub.source).toBe(TrackSource.SOURCE_MICROPHONE);
    const tone = (n: number) => {
      const d = new Int16Array(320);
      for (let i = 0; i < 320; i++)
        d[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 320 + i)) / 16000));
      return new AudioFrame(d, 16000, 1, 320);
    };
    const done: number[] = [];
    const captures = [0, 1, 2, 3].map((n) => source.captureFrame(tone(n)).then(() => done.push(n)));
    await flushPromises();
    expect(done).toEqual([0, 1]); // 40 ms queue: the third 20 ms frame waits
    for (let t = 0; t < 4; t++) {
      scheduler.advance(20);
      await flushPromises();
    }
    await Promise.all(captures);
    expect(done).toEqual([0, 1, 2, 3]);
    let played = false;
    void source.waitForPlayout().then(() => (played = true));
    scheduler.advance(20);
    await flushPromises();
    expect(played).toBe(true);
    const core = connector.participants()[0]!;
    expect(core.audioPublication!.stats().frames).toBe(4);
    const heard = phones.sentAudio
      .filter((s) => s.to === "A")
      .map((s) => g711Decode("pcmu", s.data));
    const all = Int16Array.from(heard.flatMap((x) => [...x]));
    const rms = Math.sqrt(all.reduce((n, v) => n + v * v, 0) / Math.max(1, all.length));
    expect(rms).toBeGreaterThan(1000);
    // clearQueue drops what is queued: nothing more is sent, waiters released
    await source.captureFrame(tone(4));
    const waiting = source.waitForPlayout();
    source.clearQueue();
    await waiting;
    scheduler.advance(100);
    expect(core.audioPublication!.stats().frames).toBe(4);
    await lk.localParticipant!.unpublishTrack(pub.sid!, true);
    expect(source.closed).toBe(true);
    expect(core.session.tracks.audio).toBe(false);
    await lk.disconnect();
  });
});
