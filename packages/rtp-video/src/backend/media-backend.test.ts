// MediaBackend's contract with the seed (roomkit "Video Backends (RTP & SIP)"): the backend's
// name, getVideoSession for audio-only sessions, sendVideo's errors, raw NAL units in sendVideo.
import { afterEach, describe, expect, it } from "vitest";
import { PPS, rng, SPS, slice } from "../../test/gen.js";
import { until } from "../../test/until.js";
import { joinAnnexB } from "../h264/annexb.js";
import { AudioRtpSession } from "../session/audio-session.js";
import type { VideoFrame } from "../video-frame.js";
import { MediaBackend, type MediaSession } from "./media-backend.js";
import { RtpVideoBackend } from "./rtp-video-backend.js";

/** AudioOnlyBackend registers sessions without video, as SipVideoBackend does for audio calls. */
class AudioOnlyBackend extends MediaBackend {
  override readonly name = "TEST-AUDIO";

  // biome-ignore lint/complexity/noUselessConstructor: makes MediaBackend's protected constructor public
  constructor() {
    super();
  }

  async add(roomId: string): Promise<MediaSession> {
    const audio = await AudioRtpSession.open({ localAddr: ["127.0.0.1", 0] });
    return this.register({
      roomId,
      participantId: "p",
      channelId: "av",
      metadata: {},
      audio,
      video: undefined,
    });
  }
}

const closers: { close(): void }[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c.close();
});

const local = { videoLocalAddr: ["127.0.0.1", 0], localAddr: ["127.0.0.1", 0] } as const;

/** pair connects a session of backend A to one of backend B over 127.0.0.1; B's frames are kept. */
async function pair() {
  const b = new RtpVideoBackend({ ...local, videoRemoteAddr: ["127.0.0.1", 9] });
  const a = new RtpVideoBackend(local);
  closers.push(a, b);
  const sb = await b.connect("room-1", "bob");
  const sa = await a.connect("room-1", "alice", "video", {
    videoRemoteAddr: ["127.0.0.1", sb.video.localPort],
    remoteAddr: ["127.0.0.1", sb.audio.localPort],
  });
  const got: VideoFrame[] = [];
  b.onVideoReceived((_, f) => got.push({ ...f, data: f.data.slice() }));
  return { a, b, sa, sb, got };
}

describe("backend name (seed: RTP-AV, SIP-AV)", () => {
  it('RtpVideoBackend is named "RTP-AV"', () => {
    const backend = new RtpVideoBackend(local);
    expect(backend.name).toBe("RTP-AV");
  });
});

describe("getVideoSession / listVideoSessions: sessions with video only", () => {
  it("an audio-only session is no video session: getVideoSession gives undefined, listVideoSessions leaves it out", async () => {
    const backend = new AudioOnlyBackend();
    closers.push(backend);
    const s = await backend.add("room-1");
    expect(backend.sessionCount).toBe(1);
    expect(backend.getVideoSession(s.id)).toBeUndefined();
    expect(backend.listVideoSessions("room-1")).toEqual([]);
    // it is a session all the same: audio calls and stats work on it
    expect(backend.sendVideoSync(s, joinAnnexB([SPS]))).toBe(0);
    expect(backend.videoStats(s)).toBeUndefined();
    expect(backend.audioStats(s)).toMatchObject({ packets: 0, foreignSource: 0 });
  });

  it("a session with video is its own video session (same id as the audio one)", async () => {
    const { a, sa } = await pair();
    expect(a.getVideoSession(sa.id)).toBe(sa);
    expect(a.getVideoSession(sa.id)?.video).toBe(sa.video);
    expect(a.listVideoSessions("room-1")).toEqual([sa]);
    expect(a.getVideoSession("no-such-id")).toBeUndefined();
  });
});

describe("sendVideo for a session that is not active (documented errors)", () => {
  it("SESSION_NOT_FOUND for another backend's session, SESSION_CLOSED once it has ended", async () => {
    const { a, b, sa, sb } = await pair();
    const au = joinAnnexB([SPS, PPS, slice(5, 500, rng(1))]);
    await expect(a.sendVideo(sb, au)).rejects.toMatchObject({ code: "SESSION_NOT_FOUND" });
    expect(() => a.sendVideoSync(sb, au)).toThrow(
      expect.objectContaining({ code: "SESSION_NOT_FOUND" }),
    );
    b.disconnect(sb);
    a.disconnect(sa);
    await expect(a.sendVideo(sa, au)).rejects.toMatchObject({ code: "SESSION_CLOSED" });
    expect(() => a.sendVideoSync(sa, au)).toThrow(
      expect.objectContaining({ code: "SESSION_CLOSED" }),
    );
  });
});

describe("sendVideo with raw NAL bytes (no start code), as roomkit's examples send", () => {
  it("one H.264 NAL unit without a start code is sent as one access unit and arrives in Annex-B", async () => {
    const { a, sa, got } = await pair();
    const r = rng(4);
    // one keyframe in Annex-B first, then P slices given raw, small (single NAL) and large (FU-A)
    await a.sendVideo(sa, joinAnnexB([SPS, PPS, slice(5, 3000, r)]));
    const small = slice(1, 700, r);
    const large = slice(1, 9000, r);
    expect(await a.sendVideo(sa, small)).toBe(1);
    expect(await a.sendVideo(sa, large)).toBeGreaterThan(1);
    expect(a.sendVideoSync(sa, { data: small, timestampMs: 100 })).toBe(1);
    await until(() => got.length === 4);
    expect(got.map((f) => f.keyframe)).toEqual([true, false, false, false]);
    expect([...got[1]!.data]).toEqual([...joinAnnexB([small])]);
    expect([...got[2]!.data]).toEqual([...joinAnnexB([large])]);
  });

  it("a buffer that starts with neither a start code nor a NAL unit header is refused, saying what to pass", async () => {
    const { a, sa } = await pair();
    const bad = new Uint8Array([0x80, 1, 2, 3]);
    await expect(a.sendVideo(sa, bad)).rejects.toMatchObject({ code: "H264_BAD_NAL" });
    await expect(a.sendVideo(sa, bad)).rejects.toThrow(
      /Annex-B.*or one NAL unit without a start code/,
    );
  });
});

describe("one event mechanism: the on… callbacks are subscriptions to the Observables", () => {
  it("sessionReady$ / onVideoSessionReady and disconnected$ / onClientDisconnected see the same events; a throwing callback is counted, the others still run; the returned function unsubscribes", async () => {
    const backend = new AudioOnlyBackend();
    closers.push(backend);
    const seen: string[] = [];
    backend.sessionReady$.subscribe((s) => seen.push(`ready$ ${s.roomId}`));
    const offReady = backend.onVideoSessionReady((s) => seen.push(`ready ${s.roomId}`));
    backend.onVideoSessionReady(() => {
      throw new TypeError("user callback");
    });
    backend.disconnected$.subscribe((s) => seen.push(`ended$ ${s.roomId}`));
    backend.onClientDisconnected((s) => seen.push(`ended ${s.roomId}`));
    const s1 = await backend.add("r1");
    expect(backend.callbackErrors).toBe(1);
    offReady();
    const s2 = await backend.add("r2");
    backend.disconnect(s1);
    backend.disconnect(s1); // once
    backend.disconnect(s2);
    expect(seen).toEqual([
      "ready$ r1",
      "ready r1",
      "ready$ r2",
      "ended$ r1",
      "ended r1",
      "ended$ r2",
      "ended r2",
    ]);
    expect(backend.callbackErrors).toBe(2);
  });
});
