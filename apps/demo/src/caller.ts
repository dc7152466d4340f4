import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import type { AccessUnit, MediaSession } from "@framewire/rtp-video";
import { SipVideoBackend } from "@framewire/sip-signaling";
import { asyncScheduler, interval, type SchedulerLike, type Subscription } from "rxjs";

/** CallerOptions configures one built-in caller. */
export interface CallerOptions {
  readonly name: string;
  /** host is the local address for SIP and RTP (127.0.0.1 for a local bridge). */
  readonly host: string;
  /** uri is what to dial, e.g. sip:demo@127.0.0.1:5060. */
  readonly uri: string;
  /** video is the clip, sent in a loop at `fps`; a keyframe request jumps to its next IDR. */
  readonly video: readonly AccessUnit[];
  /** tone is PCMU bytes, sent in a loop as 20 ms packets. */
  readonly tone: Uint8Array;
  readonly fps: number;
  /** credentials answer the bridge's Digest challenge, if it sends one. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** startAt is the clip index the caller starts with (default 0). */
  readonly startAt?: number;
  /** recordTo is the file the received video is written to (Annex-B H.264). */
  readonly recordTo: string;
  /** rtpPortStart is the first local RTP port tried. */
  readonly rtpPortStart: number;
  /** maxRecordBytes caps the recording (default 256 MiB); later frames are counted, not written. */
  readonly maxRecordBytes?: number;
  readonly scheduler?: SchedulerLike;
}

/** CallerStats are one caller's counters. */
export interface CallerStats {
  readonly name: string;
  readonly state: "idle" | "calling" | "in-call" | "ended" | "failed";
  readonly error: string | undefined;
  readonly sentFrames: number;
  readonly sentKeyframes: number;
  readonly sentAudioPackets: number;
  readonly keyframeRequestsReceived: number;
  readonly receivedFrames: number;
  readonly receivedKeyframes: number;
  readonly receivedBytes: number;
  /** receivedFromClip counts received frames byte-identical to a frame of the clip. */
  readonly receivedFromClip: number;
  readonly receivedAudioPackets: number;
  readonly recordedBytes: number;
  readonly recordTo: string;
}

const PCMU_PACKET = 160; // 20 ms at 8 kHz

/**
 * DemoCaller is a built-in SIP caller: its own SipVideoBackend places one audio+video call,
 * streams the clip and the tone, and records the video it receives to a file.
 */
export class DemoCaller {
  readonly name: string;
  private readonly backend: SipVideoBackend;
  private session: MediaSession | undefined;
  private stream: Subscription | undefined;
  private record: WriteStream | undefined;
  private state: CallerStats["state"] = "idle";
  private error: string | undefined;
  private next: number;
  private readonly clipHashes: Set<string>;
  private toneAt = 0;
  private jumpToKeyframe = false;
  private counts = {
    sentFrames: 0,
    sentKeyframes: 0,
    sentAudioPackets: 0,
    keyframeRequestsReceived: 0,
    receivedFrames: 0,
    receivedKeyframes: 0,
    receivedBytes: 0,
    receivedFromClip: 0,
    receivedAudioPackets: 0,
    recordedBytes: 0,
  };

  constructor(private readonly options: CallerOptions) {
    this.name = options.name;
    if (options.video.length === 0) throw new Error(`${options.name}: the clip has no frames`);
    this.next = options.startAt ?? 0;
    this.clipHashes = new Set(options.video.map((au) => digest(au.data)));
    this.backend = new SipVideoBackend({
      localSipAddr: [options.host, 0],
      localRtpIp: options.host,
      rtpPortStart: options.rtpPortStart,
      rtpPortEnd: options.rtpPortStart + 400,
      supportedVideoCodecs: ["H264"],
      supportedAudioCodecs: ["PCMU"],
      userAgent: { contactUser: options.name, userAgent: "Framewire demo caller" },
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
    this.backend.onVideoReceived((_s, frame) => this.onVideo(frame.data, frame.keyframe));
    this.backend.onAudioReceived(() => {
      this.counts.receivedAudioPackets++;
    });
    this.backend.onClientDisconnected(() => {
      this.stopStreaming();
      if (this.state === "in-call") this.state = "ended";
    });
  }

  /** dial starts the backend and places the call; resolves once answered. */
  async dial(): Promise<void> {
    this.state = "calling";
    try {
      await this.backend.start();
      this.record = createWriteStream(this.options.recordTo);
      this.record.on("error", (e) => {
        this.error = `recording: ${e.message}`;
      });
      this.session = await this.backend.call(this.options.uri, {
        participantId: this.name,
        video: true,
      });
      this.session.keyframeRequests$.subscribe(() => {
        this.counts.keyframeRequestsReceived++;
        this.jumpToKeyframe = true;
      });
      this.state = "in-call";
    } catch (e) {
      this.state = "failed";
      this.error = (e as Error).message;
      throw e;
    }
  }

  /** startStreaming sends the clip at `fps` and the tone every 20 ms until stopped. */
  startStreaming(): void {
    const session = this.session;
    if (session === undefined || this.stream !== undefined) return;
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const frameMs = 1000 / this.options.fps;
    this.stream = interval(frameMs, scheduler).subscribe(() => this.sendFrame(session, frameMs));
    this.stream.add(interval(20, scheduler).subscribe(() => this.sendTone(session)));
  }

  /** stopStreaming stops sending (the call stays up). */
  stopStreaming(): void {
    this.stream?.unsubscribe();
    this.stream = undefined;
  }

  /** hangUp sends BYE, closes the sockets and the recording. */
  async hangUp(): Promise<void> {
    this.stopStreaming();
    await this.backend.stop();
    if (this.state === "in-call") this.state = "ended";
    const record = this.record;
    this.record = undefined;
    if (record !== undefined) await new Promise<void>((done) => record.end(done));
  }

  stats(): CallerStats {
    return {
      name: this.name,
      state: this.state,
      error: this.error,
      recordTo: this.options.recordTo,
      ...this.counts,
    };
  }

  private sendFrame(session: MediaSession, frameMs: number): void {
    if (session.state !== "active") return;
    const clip = this.options.video;
    if (this.jumpToKeyframe) {
      this.jumpToKeyframe = false;
      for (let i = 0; i < clip.length && !clip[this.next % clip.length]!.keyframe; i++) this.next++;
    }
    const au = clip[this.next % clip.length]!;
    const packets = this.backend.sendVideoSync(session, {
      data: au.data,
      keyframe: au.keyframe,
      timestampMs: this.counts.sentFrames * frameMs,
    });
    this.next++;
    if (packets > 0) {
      this.counts.sentFrames++;
      if (au.keyframe) this.counts.sentKeyframes++;
    }
  }

  private sendTone(session: MediaSession): void {
    if (session.state !== "active") return;
    const tone = this.options.tone;
    if (tone.length < PCMU_PACKET) return;
    if (this.toneAt + PCMU_PACKET > tone.length) this.toneAt = 0;
    const data = tone.subarray(this.toneAt, this.toneAt + PCMU_PACKET);
    this.toneAt += PCMU_PACKET;
    if (this.backend.sendAudio(session, { data })) this.counts.sentAudioPackets++;
  }

  private onVideo(data: Uint8Array, keyframe: boolean): void {
    this.counts.receivedFrames++;
    this.counts.receivedBytes += data.length;
    if (keyframe) this.counts.receivedKeyframes++;
    if (this.clipHashes.has(digest(data))) this.counts.receivedFromClip++;
    const cap = this.options.maxRecordBytes ?? 256 * 1024 * 1024;
    if (this.record === undefined || this.counts.recordedBytes + data.length > cap) return;
    // a recording starts at a keyframe, so the file decodes from its first byte
    if (this.counts.recordedBytes === 0 && !keyframe) return;
    this.record.write(data);
    this.counts.recordedBytes += data.length;
  }
}

function digest(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("base64");
}
