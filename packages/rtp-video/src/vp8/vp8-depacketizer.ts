import type { Depacketizer } from "../codec.js";
import type { FrameSink } from "../frame-sink.js";
import {
  parseVp8FrameHeader,
  VP8_KEYFRAME_HEADER_BYTES,
  vp8DescriptorLength,
} from "./vp8-payload.js";

/** Vp8DropReason names why the VP8 depacketizer discarded a payload or marked a frame corrupt. */
export type Vp8DropReason =
  /** a zero-length RTP payload (no descriptor at all). */
  | "empty-payload"
  /** the payload ends inside its payload descriptor (RFC 7741 §4.2). */
  | "descriptor-truncated"
  /** a descriptor with no VP8 data after it. */
  | "empty-vp8-payload"
  /** the frame's first data did not start partition 0 (S=1, PID=0; RFC 7741 §4.5.1). */
  | "missing-frame-start"
  /** a second frame start (S=1, PID=0) inside one frame. */
  | "unexpected-frame-start"
  /** the sequence numbers inside a frame are not consecutive. */
  | "missing-packet"
  /** a key frame too short for its header, without the start code, or of zero size. */
  | "bad-keyframe-header"
  /** the frame exceeded the frame buffer's cap. */
  | "frame-too-large";

function emptyDropCounts(): Record<Vp8DropReason, number> {
  return {
    "empty-payload": 0,
    "descriptor-truncated": 0,
    "empty-vp8-payload": 0,
    "missing-frame-start": 0,
    "unexpected-frame-start": 0,
    "missing-packet": 0,
    "bad-keyframe-header": 0,
    "frame-too-large": 0,
  };
}

/**
 * Vp8Depacketizer implements the receiver side of RFC 7741: it strips the payload descriptor
 * (§4.2) of each payload and appends the VP8 data to the frame, which must begin with the start
 * of partition 0 (S=1, PID=0; §4.5.1); the frame is then marked `cleanStart`. A frame whose
 * first data is not that start, whose sequence numbers skip, or whose payloads are malformed
 * is marked corrupt. The VP8 payload header (§4.3, RFC 6386 §9.1) tells a key frame, whose
 * header must carry the start code 9d 01 2a; its width and height are reported. VP8 has no unit
 * spanning packets other than the frame itself, so `pending` is always false.
 */
export class Vp8Depacketizer implements Depacketizer {
  /** codec is always "vp8". */
  readonly codec = "vp8" as const;
  /** dropped counts discarded payloads and corrupt-frame causes by reason. */
  readonly dropped: Record<Vp8DropReason, number> = emptyDropCounts();
  // state of the frame being assembled
  private open = false; // a payload of this frame was pushed
  private lastSeq = 0;
  private dataSeen = false; // a payload with VP8 data (or unreadable) was pushed
  private base = 0; // where the frame's VP8 data starts in the buffer
  private headerPending = false; // a key frame whose 10-byte header is not complete yet

  /** push feeds one RTP payload (see `Depacketizer.push`). */
  push(payload: Uint8Array, sequenceNumber: number, out: FrameSink): void {
    const seq = sequenceNumber & 0xffff;
    if (this.open && seq !== ((this.lastSeq + 1) & 0xffff)) this.corrupt(out, "missing-packet");
    this.open = true;
    this.lastSeq = seq;
    const n = payload.length;
    if (n === 0) {
      this.dropped["empty-payload"]++;
      return;
    }
    const offset = vp8DescriptorLength(payload);
    if (offset < 0) {
      // the packet's data cannot be located: what it carried is lost
      this.dataSeen = true;
      this.corrupt(out, "descriptor-truncated");
      return;
    }
    if (offset === n) {
      this.dropped["empty-vp8-payload"]++;
      return;
    }
    const b0 = payload[0]!;
    const frameStart = (b0 & 0x17) === 0x10; // S = 1, PID = 0
    if (!this.dataSeen) {
      this.dataSeen = true;
      if (!frameStart) {
        // RFC 7741 §4.5.1: the packets before this one, holding the frame's start, were lost
        this.corrupt(out, "missing-frame-start");
        return;
      }
      this.base = out.length;
      out.setCleanStart(true);
      // RFC 7741 §4.3: P, the inverse key frame flag, is bit 0 of the first VP8 payload byte
      if ((payload[offset]! & 0x01) === 0) this.headerPending = true;
    } else if (frameStart) {
      this.corrupt(out, "unexpected-frame-start");
      return;
    }
    if (out.corrupt) return; // the frame will be dropped: do not spend memory on it
    out.write(payload, offset, n);
    if (out.overflowed) {
      this.corrupt(out, "frame-too-large");
      return;
    }
    out.countUnit();
    if (this.headerPending && out.length - this.base >= VP8_KEYFRAME_HEADER_BYTES) {
      this.checkKeyframe(out);
    }
  }

  /** pending is always false: a VP8 payload never leaves a unit open across packets. */
  get pending(): boolean {
    return false;
  }

  /** endFrame checks that a key frame held its whole header, then forgets the frame. */
  endFrame(out: FrameSink): void {
    if (this.headerPending && !out.corrupt) this.corrupt(out, "bad-keyframe-header");
    this.reset();
  }

  /** reset forgets the frame being assembled (after a sequence gap or a stream change). */
  reset(): void {
    this.open = false;
    this.dataSeen = false;
    this.headerPending = false;
  }

  private corrupt(out: FrameSink, reason: Vp8DropReason): void {
    this.dropped[reason]++;
    out.markCorrupt();
    this.headerPending = false;
  }

  private checkKeyframe(out: FrameSink): void {
    this.headerPending = false;
    // RFC 6386 §9.1: start code 9d 01 2a, then 14-bit width and height (little endian)
    const header = parseVp8FrameHeader(
      out.bytes.subarray(this.base, this.base + VP8_KEYFRAME_HEADER_BYTES),
    );
    if (header === undefined) {
      this.corrupt(out, "bad-keyframe-header");
      return;
    }
    out.markKeyframe();
    out.setResolution(header.width, header.height);
  }
}
