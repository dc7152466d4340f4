import type { Depacketizer } from "../codec.js";
import type { FrameSink } from "../frame-sink.js";
import { newVp9Descriptor, parseVp9Descriptor, type Vp9DescriptorFault } from "./vp9-descriptor.js";
import { parseVp9FrameHeader } from "./vp9-header.js";

/** Vp9DropReason names why the VP9 depacketizer discarded a payload or a layer frame. */
export type Vp9DropReason =
  | Vp9DescriptorFault
  | "empty-payload"
  | "missing-layer-start"
  | "missing-layer-end"
  | "layer-missing-fragment"
  | "layer-mismatch"
  | "empty-layer-frame"
  | "bad-frame-header"
  | "frame-too-large";

function emptyDropCounts(): Record<Vp9DropReason, number> {
  return {
    "descriptor-truncated": 0,
    "too-many-references": 0,
    "ss-truncated": 0,
    "empty-payload": 0,
    "missing-layer-start": 0,
    "missing-layer-end": 0,
    "layer-missing-fragment": 0,
    "layer-mismatch": 0,
    "empty-layer-frame": 0,
    "bad-frame-header": 0,
    "frame-too-large": 0,
  };
}

/**
 * Vp9Depacketizer implements the receiver side of RFC 9628: it parses the payload descriptor
 * of §4.2 in flexible and non-flexible mode (with the scalability structure of §4.2.1) and
 * writes the VP9 data after it into the frame buffer. All payloads of one RTP timestamp form a
 * picture (§4.1), which for spatial scalability is a superframe of layer frames written back to
 * back, lowest spatial layer first (a decoder such as libvpx takes them as they are; no Annex B
 * superframe index is added). A layer frame runs from a payload with B = 1 to one with E = 1 in
 * consecutive sequence numbers (§4.3); one missing its start, its end, or a fragment in between
 * is discarded and marks the frame corrupt. Payloads whose descriptor is malformed are dropped
 * and counted; nothing here throws.
 *
 * Frame facts it records in the buffer:
 *  - `cleanStart` when the frame's first payload has B = 1 and SID = 0 (or no layer indices);
 *  - `keyframe` when the base spatial layer frame (SID 0, or no L) has P = 0 on its B payload
 *    and its uncompressed header says KEY_FRAME (VP9 spec §6.2: frame marker, profile, frame
 *    type, frame sync code);
 *  - `width`/`height` for the highest spatial layer frame completed: from that layer frame's
 *    uncompressed header when it codes its size (key and intra-only frames, inter frames that
 *    resize), else from the WIDTH/HEIGHT an SS in the same picture gives that layer, else 0
 *    (the picture does not announce a resolution).
 */
export class Vp9Depacketizer implements Depacketizer {
  /** codec is always "vp9". */
  readonly codec = "vp9" as const;
  /** dropped counts discarded payloads and layer frames by reason. */
  readonly dropped: Record<Vp9DropReason, number> = emptyDropCounts();
  private readonly descriptor = newVp9Descriptor();
  // the picture being assembled
  private inFrame = false;
  private topSpatialId = -1;
  private topWidth = 0;
  private topHeight = 0;
  private ssWidths: readonly number[] = [];
  private ssHeights: readonly number[] = [];
  // the layer frame being assembled
  private layerOpen = false;
  private layerStart = 0;
  private layerSpatialId = 0;
  private layerPredicted = false;
  private layerLastSeq = 0;

  /** push feeds one RTP payload (see `Depacketizer.push`). */
  push(payload: Uint8Array, sequenceNumber: number, out: FrameSink): void {
    if (payload.length === 0) {
      // an empty payload carries no descriptor: padding, not media (like H.264, ignored)
      this.dropped["empty-payload"]++;
      return;
    }
    const first = !this.inFrame;
    this.inFrame = true;
    const parsed = parseVp9Descriptor(payload, this.descriptor);
    if (typeof parsed === "string") {
      if (first) out.setCleanStart(false);
      this.dropPayload(out, parsed);
      return;
    }
    const d = parsed;
    const spatialId = d.hasLayerIndices ? d.spatialId : 0;
    if (first) out.setCleanStart(d.startOfLayerFrame && spatialId === 0);
    if (d.scalability !== undefined && d.scalability.widths.length > 0) {
      this.ssWidths = d.scalability.widths;
      this.ssHeights = d.scalability.heights;
      this.announceSize(out);
    }
    if (this.layerOpen && out.length < this.layerStart) {
      // the caller cleared the buffer under an open layer frame: its start is gone
      this.layerOpen = false;
    }
    if (d.startOfLayerFrame) {
      if (this.layerOpen) this.abortLayer(out, "missing-layer-end");
      this.layerOpen = true;
      this.layerStart = out.length;
      this.layerSpatialId = spatialId;
      this.layerPredicted = d.interPicturePredicted;
    } else {
      if (!this.layerOpen) {
        this.dropped["missing-layer-start"]++;
        out.markCorrupt();
        return;
      }
      if (sequenceNumber !== ((this.layerLastSeq + 1) & 0xffff)) {
        this.abortLayer(out, "layer-missing-fragment");
        return;
      }
      if (d.hasLayerIndices && spatialId !== this.layerSpatialId) {
        this.abortLayer(out, "layer-mismatch");
        return;
      }
    }
    this.layerLastSeq = sequenceNumber;
    out.write(payload, d.length, payload.length);
    if (out.overflowed) {
      this.abortLayer(out, "frame-too-large");
      return;
    }
    if (d.endOfLayerFrame) this.completeLayer(out);
  }

  /** pending is true while a layer frame has begun (B = 1) and not yet ended (E = 1). */
  get pending(): boolean {
    return this.layerOpen;
  }

  /** endFrame discards a layer frame still open when the picture closes (its E never came). */
  endFrame(out: FrameSink): void {
    if (this.layerOpen) this.abortLayer(out, "missing-layer-end");
    this.endPicture();
  }

  /** reset forgets the open layer frame and picture; the caller discards the frame they were in. */
  reset(): void {
    this.layerOpen = false;
    this.endPicture();
  }

  private endPicture(): void {
    this.inFrame = false;
    this.topSpatialId = -1;
    this.topWidth = 0;
    this.topHeight = 0;
    this.ssWidths = [];
    this.ssHeights = [];
  }

  private dropPayload(out: FrameSink, reason: Vp9DropReason): void {
    this.dropped[reason]++;
    // the payload belonged to some layer frame: the open one, if any, lost a fragment
    if (this.layerOpen) this.abortLayer(out, "layer-missing-fragment");
    out.markCorrupt();
  }

  private abortLayer(out: FrameSink, reason: Vp9DropReason): void {
    this.dropped[reason]++;
    out.truncate(this.layerStart);
    out.markCorrupt();
    this.layerOpen = false;
  }

  private completeLayer(out: FrameSink): void {
    this.layerOpen = false;
    const start = this.layerStart;
    const end = out.length;
    if (end === start) {
      // B..E carried no data: there is no empty VP9 frame
      this.dropped["empty-layer-frame"]++;
      out.markCorrupt();
      return;
    }
    out.countUnit();
    const header = parseVp9FrameHeader(out.bytes, start, end);
    if (header === undefined) {
      // passed on as it is (the decoder judges it), but it tells nothing
      this.dropped["bad-frame-header"]++;
    } else if (this.layerSpatialId === 0 && !this.layerPredicted && header.keyframe) {
      out.markKeyframe();
    }
    if (this.layerSpatialId >= this.topSpatialId) {
      this.topSpatialId = this.layerSpatialId;
      this.topWidth = header?.width ?? 0;
      this.topHeight = header?.height ?? 0;
    }
    this.announceSize(out);
  }

  /** announceSize sets the picture's size from the highest layer's header, else from the SS. */
  private announceSize(out: FrameSink): void {
    const top = this.topSpatialId;
    if (top < 0) return;
    if (this.topWidth > 0) {
      out.setResolution(this.topWidth, this.topHeight);
      return;
    }
    const w = this.ssWidths[top] ?? 0;
    const h = this.ssHeights[top] ?? 0;
    out.setResolution(w > 0 && h > 0 ? w : 0, w > 0 && h > 0 ? h : 0);
  }
}
