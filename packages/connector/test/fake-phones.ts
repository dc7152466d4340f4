// In-memory SIP/RTP-like endpoints for the connector's unit tests: a ChannelBackend whose
// sessions are driven by the test (what they "send") and record what the bridges sent them.
import type { AudioFrame, VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import {
  AudioVideoChannel,
  type ChannelBackend,
  encodeMulaw,
  RoomKit,
  type RoomSession,
} from "@framewire/video-bridge";
import { NEVER, Subject } from "rxjs";

export class FakePhones implements ChannelBackend {
  readonly video = new Subject<{ session: RoomSession; frame: VideoFrame }>();
  readonly audio = new Subject<{ session: RoomSession; frame: AudioFrame }>();
  readonly ended = new Subject<RoomSession>();
  readonly videoReceived$ = this.video.asObservable();
  readonly audioReceived$ = this.audio.asObservable();
  readonly disconnected$ = this.ended.asObservable();
  readonly sentVideo: { to: string; data: Uint8Array; keyframe: boolean }[] = [];
  readonly sentAudio: { to: string; data: Uint8Array }[] = [];
  readonly keyframeRequests: string[] = [];
  sendVideoSync(session: RoomSession, chunk: { data: Uint8Array; keyframe?: boolean }): number {
    this.sentVideo.push({ to: session.id, data: chunk.data, keyframe: chunk.keyframe ?? false });
    return 1;
  }
  sendAudio(session: RoomSession, audio: { data: Uint8Array }): boolean {
    this.sentAudio.push({ to: session.id, data: audio.data });
    return true;
  }
  requestKeyframe(session: RoomSession): void {
    this.keyframeRequests.push(session.id);
  }
  disconnect(session: RoomSession | string): void {
    void session;
  }
}

export function phoneSession(id: string, room = "r"): RoomSession {
  return {
    id,
    roomId: room,
    participantId: id,
    channelId: "av",
    metadata: {},
    videoCodec: "h264",
    audio: { sendFormat: { payloadType: 0, codec: "pcmu", clockRate: 8000 } },
    keyframeRequests$: NEVER,
  };
}

let seq = 0;
/** h264 is an access unit whose last byte is `label` (a keyframe starts with an IDR NAL). */
export function h264(keyframe: boolean, label: number, timestampMs = seq * 33): VideoFrame {
  seq++;
  return {
    codec: "h264",
    data: Uint8Array.of(0, 0, 0, 1, keyframe ? 0x65 : 0x41, 0x88, label),
    keyframe,
    timestampMs,
    rtpTimestamp: (timestampMs * 90) >>> 0,
    sequence: seq,
    width: 640,
    height: 360,
  };
}

/** pcmuTone is one 20 ms PCMU frame of a sine at `hz`. */
export function pcmuTone(hz: number, n: number, amplitude = 8000): AudioFrame {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++)
    pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000));
  return {
    codec: "pcmu",
    payloadType: 0,
    data: encodeMulaw(pcm),
    rtpTimestamp: n * 160,
    timestampMs: n * 20,
    sequenceNumber: n & 0xffff,
    marker: n === 0,
  };
}

/** dtmfEnd is an RFC 4733 end packet of `code`. */
export function dtmfEnd(code: number, rtpTimestamp: number, duration = 800): AudioFrame {
  return {
    codec: "telephone-event",
    payloadType: 101,
    data: Uint8Array.of(code, 0x80 | 10, duration >> 8, duration & 0xff),
    rtpTimestamp,
    timestampMs: rtpTimestamp / 8,
    sequenceNumber: 1,
    marker: false,
  };
}

/** room is a kit with one A/V channel ("av", audio mixed) over FakePhones, on virtual time. */
export function room(strategy: "mix" | "forward" = "mix") {
  const scheduler = new ManualScheduler();
  const kit = new RoomKit({ scheduler });
  const phones = new FakePhones();
  kit.registerChannel(
    new AudioVideoChannel("av", {
      backend: phones,
      bridge: { forwardingStrategy: strategy },
      videoBridge: true,
    }),
  );
  return { scheduler, kit, phones };
}
