/**
 * H.264 parameter sets only in SDP (RFC 6184 §8.1 `sprop-parameter-sets`), end to end with a
 * real decoder: an endpoint INVITEs the backend with an offer whose fmtp carries the fixture's
 * SPS/PPS and then sends the fixture stream with every SPS/PPS stripped (IDRs without them). The
 * backend's frames are forwarded, as a bridge forwards them (`sendVideoSync` on another call's
 * session), to a second endpoint, a plain receiver without any parameter sets. FFmpeg decodes
 * what each side got: every frame, no error. The stripped stream itself decodes to nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  joinAnnexB,
  type MediaSession,
  splitAccessUnits,
  splitAnnexB,
  type VideoFrame,
  VideoRtpSession,
} from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import {
  ffmpegDecodeFile,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  paced,
  report,
  runCleanups,
  tempDir,
  waitUntil,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { SipCallMetadata } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { offerSdp, RawSipPeer } from "./raw-sip-peer.js";

const ffmpegTest = itWithPeers(["ffmpeg"]);
const FRAMES = 75; // three keyframes in the fixture's GOP of 30

afterEach(async () => {
  await runCleanups();
});

const nalType = (nal: Uint8Array): number => nal[0]! & 0x1f;
const b64 = (nal: Uint8Array): string => btoa(String.fromCharCode(...nal));

/** endpoint INVITEs the backend with audio + H.264 video (fmtp `fmtp`) from a video session. */
async function endpoint(sipPort: number, fmtp: string) {
  const media = await freeUdpPorts(4);
  const video = await VideoRtpSession.open({ localAddr: [HOST, media + 2] });
  onCleanup(() => video.close());
  const peer = await RawSipPeer.open(sipPort);
  const dialog = await peer.invite({
    sdp: offerSdp({ audioPort: media, videoPort: media + 2, video: [[96, "H264/90000", fmtp]] }),
  });
  const final = await peer.finalResponse(dialog);
  await peer.ack(dialog);
  const videoPort = Number(/^m=video (\d+)/m.exec(final.body)?.[1]);
  video.setRemoteAddr([HOST, videoPort]);
  const frames: VideoFrame[] = [];
  video.frames$.subscribe((f) => frames.push({ ...f, data: f.data.slice() }));
  return { video, frames, final };
}

describe("sprop-parameter-sets end to end (RFC 6184 §8.1)", () => {
  ffmpegTest(
    "IDRs without SPS/PPS, SPS/PPS only in the SDP: the backend's frames and the forwarded ones decode, every one",
    async () => {
      const clip = splitAccessUnits(new Uint8Array(readFileSync(fixture("test.h264")))).slice(
        0,
        FRAMES,
      );
      const first = splitAnnexB(clip[0]!.data);
      const sps = first.find((n) => nalType(n) === 7)!;
      const pps = first.find((n) => nalType(n) === 8)!;
      const stripped = clip.map((au) => ({
        keyframe: au.keyframe,
        data: joinAnnexB(splitAnnexB(au.data).filter((n) => nalType(n) !== 7 && nalType(n) !== 8)),
      }));
      expect(stripped.filter((au) => au.keyframe)).toHaveLength(3);

      const { backend, port } = await startBackend();
      const sessions: MediaSession[] = [];
      onCleanup(backend.onCall((s) => void sessions.push(s)));
      const fromSender: VideoFrame[] = [];
      // the sender's call is the first session; what it sends is forwarded to the second
      backend.onVideoReceived((s, frame) => {
        fromSender.push({ ...frame, data: frame.data.slice() });
        const target = sessions.find((t) => t.id !== s.id);
        if (target !== undefined) backend.sendVideoSync(target, frame);
      });
      const viewer = await endpoint(port, "packetization-mode=1;profile-level-id=42e01f");
      await waitUntil(() => sessions.length === 1, 2_000);
      const sender = await endpoint(
        port,
        `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${b64(sps)},${b64(pps)}`,
      );
      await waitUntil(() => sessions.length === 2, 2_000);
      // sessions[0] is the viewer's call, sessions[1] the sender's
      expect((sessions[1]!.metadata as SipCallMetadata).hasVideo).toBe(true);
      // a bridge's cut-through may not forward the sender's packets as they are (its IDRs carry
      // no SPS/PPS): no packet seam as a source; as a target, and the viewer's both ways, yes
      expect(backend.videoPacketPort(sessions[1]!, "source")).toBeUndefined();
      expect(backend.videoPacketPort(sessions[1]!, "target")).toBeDefined();
      expect(backend.videoPacketPort(sessions[0]!, "source")).toBeDefined();
      expect(backend.videoPacketPort(sessions[0]!, "target")).toBeDefined();

      await paced(FRAMES, 10, 10_000, (i) => {
        sender.video.sendFrame({
          data: stripped[i]!.data,
          keyframe: stripped[i]!.keyframe,
          timestampMs: i * 33,
        });
      });
      await waitUntil(() => viewer.frames.length === FRAMES, 5_000).catch(() => {});
      const stats = backend.videoStats(sessions[1]!)!;
      report("sprop end to end", {
        sent: FRAMES,
        backendFrames: fromSender.length,
        viewerFrames: viewer.frames.length,
        parameterSetsInserted: stats.parameterSetsInserted,
        keyframeRequestsSent: stats.keyframeRequestsSent,
        framesDropped: stats.framesDropped,
      });
      expect(fromSender).toHaveLength(FRAMES);
      expect(fromSender.filter((f) => f.keyframe)).toHaveLength(3);
      expect(fromSender[0]).toMatchObject({ keyframe: true, width: 640, height: 360 });
      // SPS and PPS are back where x264 put them: every frame is the clip's own access unit
      expect(
        fromSender.map((f) => Buffer.compare(f.data, clip[fromSender.indexOf(f)]!.data)),
      ).toEqual(Array(FRAMES).fill(0));
      expect(stats).toMatchObject({ parameterSetsInserted: 3, framesDropped: 0 });
      expect(viewer.frames).toHaveLength(FRAMES);

      const dir = tempDir("sprop-");
      const files = {
        stripped: join(dir, "stripped.h264"),
        backend: join(dir, "backend.h264"),
        viewer: join(dir, "viewer.h264"),
      };
      writeFileSync(files.stripped, Buffer.concat(stripped.map((au) => au.data)));
      writeFileSync(files.backend, Buffer.concat(fromSender.map((f) => f.data)));
      writeFileSync(files.viewer, Buffer.concat(viewer.frames.map((f) => f.data)));
      const decoded = {
        stripped: await ffmpegDecodeFile(files.stripped, { timeoutMs: 20_000 }),
        backend: await ffmpegDecodeFile(files.backend, { timeoutMs: 20_000 }),
        viewer: await ffmpegDecodeFile(files.viewer, { timeoutMs: 20_000 }),
      };
      report("sprop decode", {
        stripped: `${decoded.stripped.frames} frames, ${decoded.stripped.errors} errors`,
        backend: `${decoded.backend.frames} frames, ${decoded.backend.errors} errors`,
        viewer: `${decoded.viewer.frames} frames, ${decoded.viewer.errors} errors`,
      });
      // the stream really lacks its parameter sets: on its own, nothing decodes
      expect(decoded.stripped.frames).toBe(0);
      expect(decoded.backend.errors, decoded.backend.log).toBe(0);
      expect(decoded.backend.frames).toBe(FRAMES);
      expect(decoded.viewer.errors, decoded.viewer.log).toBe(0);
      expect(decoded.viewer.frames).toBe(FRAMES);
      // what the bridge forwards is what the backend emitted, byte for byte
      expect(viewer.frames.map((f) => f.data.length)).toEqual(fromSender.map((f) => f.data.length));
    },
    60_000,
  );
});
