/**
 * Acceptance (real media): a SIP caller (SIPp, replaying the fixture H.264 RTP: 300 frames of
 * fixtures/test.h264 at 640x360) is in a room of a RoomKit over a SipVideoBackend; a LiveKit-style
 * bot (`Room`, `VideoStream`) takes its video as RGB24, I420 and BGRA at once. Each stream
 * must deliver ≥ 95 % of the frames the caller sent, at 640x360, and the pixels must match an
 * independent decode of the same clip by the ffmpeg CLI (PSNR ≥ 40 dB per checked frame; frames
 * are matched by RTP timestamp: the pcap's first is 42411254, 3000 ticks per frame).
 */
import type { MediaSession } from "@framewire/rtp-video";
import { psnr } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  freeUdpPorts,
  itWithPeers,
  onCleanup,
  referenceRawFrames,
  report,
  runCleanups,
  startScript,
  tempDir,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import {
  Room,
  RoomEvent,
  TrackKind,
  VideoBufferType,
  type VideoFrameEvent,
  VideoStream,
} from "../src/livekit/index.js";
import { sipRoom } from "./sip-room.js";

const sipTest = itWithPeers(["sipp", "tshark", "ffmpeg", "timeout"]);
const ROOM = "bots";
const FIRST_RTP = 42411254;
const TICKS_PER_FRAME = 3000;
const SENT_FRAMES = 300;
const FORMATS = [
  ["rgb24", VideoBufferType.RGB24],
  ["i420", VideoBufferType.I420],
  ["bgra", VideoBufferType.BGRA],
] as const;

afterEach(async () => {
  await runCleanups();
});

describe("a LiveKit-style bot takes a SIP caller's video as raw frames (SIPp, fixture clip)", () => {
  sipTest(
    "VideoStream as RGB24, I420 and BGRA: ≥ 95 % of the frames, 640x360, PSNR ≥ 40 dB against ffmpeg's decode",
    async () => {
      const { backend, kit, connector, sipPort, token: tokenFor } = await sipRoom();
      const room = new Room();
      const received: Record<string, VideoFrameEvent[]> = {};
      const reading: Promise<string>[] = [];
      const keep = new Set(Array.from({ length: 30 }, (_, i) => i * 10 + 3));
      room.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind !== TrackKind.KIND_VIDEO) return;
        for (const [name, type] of FORMATS) {
          const stream = new VideoStream(track, { format: type, capacity: 16 });
          const got: VideoFrameEvent[] = [];
          received[name] = got;
          reading.push(
            (async () => {
              for await (const ev of stream) {
                const index = Math.round((ev.rtpTimestamp - FIRST_RTP) / TICKS_PER_FRAME);
                // keep the pixels of the checked frames only (memory)
                got.push(
                  keep.has(index)
                    ? ev
                    : { ...ev, frame: { ...ev.frame, data: new Uint8Array(0) } as typeof ev.frame },
                );
              }
              return (await stream.ended) ?? "none";
            })(),
          );
        }
      });
      const token = await tokenFor(ROOM, "watcher");
      await room.connect(connector, token);
      onCleanup(() => room.disconnect());
      const joinErrors: unknown[] = [];
      onCleanup(
        backend.onCall(async (session: MediaSession) => {
          try {
            await kit.join(session.roomId, "av", { session });
          } catch (e) {
            joinErrors.push(e);
          }
        }),
      );
      const sDir = tempDir("framewire-connector-sipp-");
      const sSip = await freeUdpPorts(1);
      const sMedia = await freeUdpPorts(4);
      const sipp = startScript("sipp-av-call.sh", [String(sipPort), "11"], {
        env: { SERVICE: ROOM, SIP_PORT: String(sSip), MEDIA_PORT: String(sMedia), LOGDIR: sDir },
        timeoutMs: 80_000,
      });
      const run = await sipp.done;
      expect(joinErrors).toEqual([]);
      expect(run.stdout + run.stderr).toMatch(/sipp_rc=0/);
      const ends = await Promise.race([
        Promise.all(reading),
        new Promise<string[]>((r) => setTimeout(() => r(["timeout"]), 15_000)),
      ]);
      expect(ends).toEqual(FORMATS.map(() => "participantLeft"));
      const lines: Record<string, string> = {};
      for (const [format] of FORMATS) {
        const got = received[format] ?? [];
        const ref = await referenceRawFrames(fixture("test.h264"), { format, pick: [...keep] });
        const checked = got.filter((g) => g.frame.data.length > 0);
        const scores = checked.map((g) => {
          const index = Math.round((g.rtpTimestamp - FIRST_RTP) / TICKS_PER_FRAME);
          // LiveKit's VideoFrame is tightly packed, as ffmpeg's rawvideo
          return psnr(g.frame.data, ref.frame(index));
        });
        const min = Math.min(...scores);
        lines[format] =
          `${got.length}/${SENT_FRAMES} frames, ${checked.length} checked, min PSNR ${min.toFixed(1)} dB`;
        expect(got.length, format).toBeGreaterThanOrEqual(Math.ceil(0.95 * SENT_FRAMES));
        expect(got.every((g) => g.frame.width === 640 && g.frame.height === 360)).toBe(true);
        expect(checked.length, format).toBeGreaterThanOrEqual(25);
        expect(min, format).toBeGreaterThanOrEqual(40);
      }
      report("connector: SIP caller → bot raw frames", lines);
    },
    120_000,
  );
});
