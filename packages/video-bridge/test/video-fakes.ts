// Fakes for VideoBridge tests: sessions, backends that record, labelled H.264 access units.
import type { KeyframeRequest, VideoChunk, VideoCodec, VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { Subject } from "rxjs";
import { VideoBridge } from "../src/video-bridge.js";
import type { VideoBridgeOptions } from "../src/video-bridge-options.js";
import type { VideoBridgeBackend, VideoBridgeEvent } from "../src/video-bridge-types.js";

/** FakeSession is a bridged session whose PLI/FIR the test emits with `pli()`. */
export class FakeSession {
  readonly id: string;
  readonly videoCodec: VideoCodec | undefined;
  private readonly plis = new Subject<KeyframeRequest>();
  readonly keyframeRequests$ = this.plis.asObservable();

  /** videoCodec "none" makes an audio-only session (videoCodec undefined). */
  constructor(id: string, videoCodec: VideoCodec | "none" = "h264") {
    this.id = id;
    this.videoCodec = videoCodec === "none" ? undefined : videoCodec;
  }

  /** pli emits a PLI from the session's endpoint. */
  pli(kind: "pli" | "fir" = "pli"): void {
    this.plis.next({ kind, senderSsrc: 1 });
  }
}

/** Sent is one frame a FakeBackend sent, with the label of its slice. */
export interface Sent {
  readonly to: string;
  readonly label: string;
  readonly keyframe: boolean;
  readonly timestampMs: number;
  readonly data: Uint8Array;
}

/** FakeBackend records sends and keyframe requests; `failSend`/`onSend` inject faults and re-entry. */
export class FakeBackend implements VideoBridgeBackend<FakeSession> {
  readonly sent: Sent[] = [];
  readonly keyframeRequests: string[] = [];
  failSend: ((session: FakeSession) => boolean) | undefined;
  onSend: ((session: FakeSession, chunk: VideoChunk) => void) | undefined;
  onRequest: ((session: FakeSession) => void) | undefined;

  sendVideoSync(session: FakeSession, chunk: VideoChunk): number {
    if (this.failSend?.(session) === true) throw new Error(`send to ${session.id} failed`);
    this.sent.push({
      to: session.id,
      label: labelOf(chunk.data),
      keyframe: chunk.keyframe ?? false,
      timestampMs: chunk.timestampMs ?? Number.NaN,
      data: chunk.data,
    });
    this.onSend?.(session, chunk);
    return 1;
  }

  requestKeyframe(session: FakeSession): void {
    this.keyframeRequests.push(session.id);
    this.onRequest?.(session);
  }

  /** labels lists the labels sent to one session. */
  labels(to?: string): string[] {
    return this.sent.filter((s) => to === undefined || s.to === to).map((s) => s.label);
  }
}

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const enc = new TextEncoder();
const dec = new TextDecoder();

function annexB(units: readonly Uint8Array[]): Uint8Array {
  const size = units.reduce((n, u) => n + 4 + u.length, 0);
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out.set([0, 0, 0, 1], o);
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}

/** slice is a slice NAL unit (IDR type 5 or non-IDR type 1) whose payload is an ASCII label. */
export function slice(label: string, idr: boolean): Uint8Array {
  return Uint8Array.of(idr ? 0x65 : 0x41, ...enc.encode(label));
}

export const NAL = { SPS, PPS, AUD: Uint8Array.of(0x09, 0xf0) };

/** accessUnit writes NAL units as one Annex-B access unit. */
export function accessUnit(...units: Uint8Array[]): Uint8Array {
  return annexB(units);
}

/** nalTypes lists the NAL unit types of an Annex-B access unit. */
export function nalTypes(data: Uint8Array): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      types.push(data[i + 3]! & 0x1f);
      i += 3;
    }
  }
  return types;
}

/** labelOf is the ASCII label of the last slice of an access unit ("" without one). */
export function labelOf(data: Uint8Array): string {
  let last = -1;
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const t = data[i + 3]! & 0x1f;
      if (t === 1 || t === 5) last = i + 4;
    }
  }
  if (last < 0) return "";
  let end = data.length;
  for (let i = last; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && (data[i + 2] === 1 || data[i + 2] === 0)) {
      end = i;
      break;
    }
  }
  return dec.decode(data.subarray(last, end));
}

/**
 * FrameSource makes the labelled frames of one camera: `key()` and `delta()` give H.264 access
 * units labelled "<name>:K<n>" / "<name>:D<n>", `timestampMs` advancing `intervalMs` per frame
 * from `startMs` (each source has its own clock origin).
 */
export class FrameSource {
  readonly name: string;
  private n = 0;
  private ts: number;
  private readonly intervalMs: number;
  private readonly codec: VideoCodec;

  constructor(
    name: string,
    opts: { startMs?: number; intervalMs?: number; codec?: VideoCodec } = {},
  ) {
    this.name = name;
    this.ts = opts.startMs ?? 0;
    this.intervalMs = opts.intervalMs ?? 33;
    this.codec = opts.codec ?? "h264";
  }

  /** key is a keyframe (with SPS and PPS unless `params` is false). */
  key(params = true): VideoFrame {
    const label = `${this.name}:K${this.n}`;
    const units = params ? [SPS, PPS, slice(label, true)] : [slice(label, true)];
    return this.frame(accessUnit(...units), true);
  }

  /** delta is a non-IDR frame. */
  delta(): VideoFrame {
    return this.frame(accessUnit(slice(`${this.name}:D${this.n}`, false)), false);
  }

  private frame(data: Uint8Array, keyframe: boolean): VideoFrame {
    const f: VideoFrame = {
      codec: this.codec,
      data,
      keyframe,
      timestampMs: this.ts,
      rtpTimestamp: (this.ts * 90) >>> 0,
      sequence: this.n,
      width: 640,
      height: 480,
    };
    this.n++;
    this.ts += this.intervalMs;
    return f;
  }
}

/** flush is test-support's flushPromises (a macrotask turn; no time passes), as these tests name it. */
export { flushPromises as flush } from "@framewire/test-support";

/** X264_SPS_640X360 is the SPS of a 640x360 constrained-baseline x264 stream (for tests that parse it). */
export const X264_SPS_640X360 = Uint8Array.of(
  0x67,
  0x42,
  0xc0,
  0x1f,
  0xda,
  0x02,
  0x80,
  0xbf,
  0xe5,
  0xc0,
  0x44,
  0x00,
  0x00,
  0x03,
  0x00,
  0x04,
  0x00,
  0x00,
  0x03,
  0x00,
  0xf2,
  0x3c,
  0x60,
  0xca,
  0x80,
);
/** X264_PPS is the PPS that goes with it. */
export const X264_PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);

/**
 * bridgeHarness is a VideoBridge on a ManualScheduler with every event recorded, and `join(id,
 * room)` adding a FakeSession with its own FakeBackend: the set-up of the bridge's unit tests.
 */
export function bridgeHarness(opts: VideoBridgeOptions<FakeSession> = {}) {
  const scheduler = new ManualScheduler();
  const bridge = new VideoBridge<FakeSession>({ scheduler, ...opts });
  const events: VideoBridgeEvent<FakeSession>[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  const join = (id: string, room = "r1") => {
    const s = new FakeSession(id);
    const b = new FakeBackend();
    bridge.addSession(s, room, b);
    return { s, b };
  };
  return { scheduler, bridge, events, join };
}

/**
 * speakerRoom joins A, B and C to room "r1" of a harness, makes A the active speaker, and has A
 * and C send one keyframe each (their FrameSources are returned to go on sending).
 */
export function speakerRoom(h: Pick<ReturnType<typeof bridgeHarness>, "bridge" | "join">) {
  const A = h.join("A");
  const B = h.join("B");
  const C = h.join("C");
  const a = new FrameSource("A");
  const c = new FrameSource("C");
  h.bridge.setActiveSpeaker("r1", "A");
  h.bridge.forward(A.s, a.key());
  h.bridge.forward(C.s, c.key());
  return { A, B, C, a, c };
}
