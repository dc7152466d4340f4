import type { Depacketizer } from "../codec.js";
import type { FrameSink } from "../frame-sink.js";
import { emptyDropCounts, type H264DropReason } from "./h264-drop-reason.js";
import { completedHead } from "./h264-parameter-set-insertion.js";
import { H264NalType } from "./nal.js";
import { bodyOk, isSingleNalHeader, sameBytes, withoutTrailingZeros } from "./nal-body.js";
import {
  checkH264ParameterSets,
  type H264ParameterSets,
  NO_PARAMETER_SETS,
} from "./parameter-sets.js";
import { parseSps } from "./sps.js";

/** H264DepacketizerOptions configure an H264Depacketizer. */
export interface H264DepacketizerOptions {
  /**
   * parameterSets are the stream's out-of-band SPS and PPS NAL units, without start codes (an SDP
   * `sprop-parameter-sets`, RFC 6184 §8.1). They are written in front of the first IDR slice of
   * an access unit that carries no SPS or no PPS of its own, so every keyframe decodes alone.
   * Default none; a bad unit throws `BAD_OPTION` (see `checkH264ParameterSets`).
   */
  readonly parameterSets?: readonly Uint8Array[];
}

/**
 * H264Depacketizer implements RFC 6184 non-interleaved mode (§5.6 single NAL unit, §5.7.1
 * STAP-A, §5.8 FU-A) and writes NAL units in Annex-B form with the start codes H.264 §B.1.2
 * prescribes. STAP-B, MTAP16/24 and FU-B belong to interleaved mode and are dropped and counted.
 * An FU-A whose start, middle or end fragment is missing is discarded whole; reassembly writes
 * each fragment once, straight into the frame buffer, so it is linear in the NAL size. With
 * out-of-band `parameterSets`, an IDR access unit without SPS/PPS gets them before its first
 * slice, after its AUD and before its SEI, provided that slice starts the picture
 * (first_mb_in_slice 0): the access unit then starts cleanly, as one with in-band SPS does.
 */
export class H264Depacketizer implements Depacketizer {
  /** codec is always "h264". */
  readonly codec = "h264" as const;
  /** dropped counts discarded payloads and NAL units by reason. */
  readonly dropped: Record<H264DropReason, number> = emptyDropCounts();
  private fuOpen = false;
  private fuStart = 0;
  private fuBody = 0; // offset of the first body byte of the open FU-A unit in the frame buffer
  private fuType = 0;
  private fuLastSeq = 0;
  private lastSps: Uint8Array | undefined;
  private lastWidth = 0;
  private lastHeight = 0;
  private parameterSets: H264ParameterSets = NO_PARAMETER_SETS;
  /** what the access unit being written holds so far (reset when its buffer is empty). */
  private frameSps = false;
  private framePps = false;
  private frameSlice = false;
  /** parameterSetsInserted counts IDR access units completed with the out-of-band SPS/PPS. */
  parameterSetsInserted = 0;

  constructor(options: H264DepacketizerOptions = {}) {
    if (options.parameterSets !== undefined) this.setParameterSets(options.parameterSets);
  }

  /**
   * setParameterSets replaces the out-of-band SPS/PPS (RFC 6184 §8.1 `sprop-parameter-sets`,
   * NAL units without start codes; an empty list removes them). Takes effect from the next NAL
   * unit; a bad unit throws `BAD_OPTION` and leaves the previous ones in place.
   */
  setParameterSets(units: readonly Uint8Array[]): void {
    this.parameterSets = checkH264ParameterSets(units);
  }

  /** push feeds one RTP payload (see `Depacketizer.push`). */
  push(payload: Uint8Array, sequenceNumber: number, out: FrameSink): void {
    const n = payload.length;
    if (n === 0) {
      this.dropped["empty-payload"]++;
      return;
    }
    const first = payload[0]!;
    if (first & 0x80) {
      // forbidden_zero_bit set: the unit is known to be damaged (RFC 6184 §5.3)
      this.dropData(out, "nal-malformed");
      return;
    }
    const type = first & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.fuOpen) this.abortFu(out, "fu-a-missing-end");
      this.writeNal(payload, 0, n, out);
      return;
    }
    switch (type) {
      case H264NalType.FU_A:
        this.pushFuA(payload, sequenceNumber, out);
        return;
      case H264NalType.STAP_A:
        if (this.fuOpen) this.abortFu(out, "fu-a-missing-end");
        this.pushStapA(payload, out);
        return;
      case H264NalType.STAP_B:
        this.dropData(out, "stap-b");
        return;
      case H264NalType.MTAP16:
        this.dropData(out, "mtap16");
        return;
      case H264NalType.MTAP24:
        this.dropData(out, "mtap24");
        return;
      case H264NalType.FU_B:
        this.dropData(out, "fu-b");
        return;
      default:
        // 0, 30, 31: unspecified; RFC 6184 §5.4 says receivers ignore them
        this.dropped["reserved-nal-type"]++;
    }
  }

  /** pending is true while an FU-A waits for its end fragment. */
  get pending(): boolean {
    return this.fuOpen;
  }

  /** endFrame discards an FU-A still open when the frame closes (its end fragment never came). */
  endFrame(out: FrameSink): void {
    if (this.fuOpen) this.abortFu(out, "fu-a-missing-end");
  }

  /** reset forgets a partially reassembled FU-A; the caller discards the frame it belonged to. */
  reset(): void {
    this.fuOpen = false;
  }

  private dropData(out: FrameSink, reason: H264DropReason): void {
    this.dropped[reason]++;
    if (this.fuOpen) this.abortFu(out, "fu-a-missing-end");
    out.markCorrupt();
  }

  private abortFu(out: FrameSink, reason: H264DropReason): void {
    this.dropped[reason]++;
    out.truncate(this.fuStart);
    out.markCorrupt();
    this.fuOpen = false;
  }

  private startCode(header: number, out: FrameSink): boolean {
    const t = header & 0x1f;
    const first = out.length === 0;
    if (first) out.setCleanStart(t === H264NalType.SPS || t === H264NalType.AUD);
    const long = first || t === H264NalType.SPS || t === H264NalType.PPS;
    return out.writeStartCode(long);
  }

  private writeNal(src: Uint8Array, start: number, endWithZeros: number, out: FrameSink): void {
    const header = src[start]!;
    const end = withoutTrailingZeros(src, start + 1, endWithZeros);
    if (!bodyOk(src, start + 1, end, 1, 1, true)) {
      this.malformed(out, out.length);
      return;
    }
    this.beforeUnit(header, end > start + 1 ? src[start + 1]! : 0, out);
    const mark = out.length;
    if (!this.startCode(header, out)) {
      this.overflow(out, mark);
      return;
    }
    out.write(src, start, end);
    if (out.overflowed) {
      this.overflow(out, mark);
      return;
    }
    this.completed(header & 0x1f, mark, out);
  }

  /**
   * beforeUnit runs before a NAL unit (header `header`, first body byte `body0`) is written: it
   * tracks what the access unit holds and, before the first slice of an IDR picture that lacks
   * SPS or PPS, writes the out-of-band ones (H.264 §7.4.1.2.3: parameter sets precede the first
   * VCL NAL unit). first_mb_in_slice is ue(v): its first bit is 1 exactly when it is 0.
   */
  private beforeUnit(header: number, body0: number, out: FrameSink): void {
    if (out.length === 0) {
      this.frameSps = false;
      this.framePps = false;
      this.frameSlice = false;
    }
    const type = header & 0x1f;
    if (type === H264NalType.SPS) this.frameSps = true;
    else if (type === H264NalType.PPS) this.framePps = true;
    else if (type >= 1 && type <= 5) {
      const first = !this.frameSlice;
      this.frameSlice = true;
      if (
        type === H264NalType.IDR &&
        first &&
        (body0 & 0x80) !== 0 &&
        (!this.frameSps || !this.framePps)
      ) {
        this.insertParameterSets(out);
      }
    }
  }

  /**
   * insertParameterSets completes the head of an IDR access unit (the units written before its
   * first slice) with the parameter sets it lacks, in the order H.264 §7.4.1.2.3 and encoders
   * use: AUD, SPS, PPS, then the rest (SEI, ...). The head's own SPS or PPS are kept and win;
   * only a missing kind is taken from the out-of-band ones. When the picture then has both, its
   * access unit counts as starting cleanly: whatever may have been lost in front of its first
   * slice (AUD, SEI, the in-band parameter sets) is not needed to decode it.
   */
  private insertParameterSets(out: FrameSink): void {
    const { sps, pps } = this.parameterSets;
    const addSps = !this.frameSps && sps.length > 0;
    const addPps = !this.framePps && pps.length > 0;
    if (!addSps && !addPps) return;
    const ordered = completedHead(
      out.bytes.subarray(0, out.length),
      addSps ? sps : undefined,
      addPps ? pps : undefined,
    );
    const units = out.units;
    out.truncate(0);
    for (const unit of ordered) {
      const mark = out.length;
      if (!this.startCode(unit[0]!, out)) {
        this.overflow(out, mark);
        return;
      }
      out.write(unit, 0, unit.length);
      if (out.overflowed) {
        this.overflow(out, mark);
        return;
      }
      this.completed(unit[0]! & 0x1f, mark, out);
    }
    out.setUnits(units + (addSps ? sps.length : 0) + (addPps ? pps.length : 0));
    if (addSps) this.frameSps = true;
    if (addPps) this.framePps = true;
    if (this.frameSps && this.framePps) out.setCleanStart(true);
    this.parameterSetsInserted++;
  }

  private malformed(out: FrameSink, mark: number): void {
    this.dropped["nal-malformed"]++;
    out.truncate(mark);
    out.markCorrupt();
  }

  private overflow(out: FrameSink, mark: number): void {
    this.dropped["frame-too-large"]++;
    out.truncate(mark);
    out.markCorrupt();
  }

  private completed(type: number, nalStart: number, out: FrameSink): void {
    out.countUnit();
    let body = nalStart;
    while (out.bytes[body] === 0) body++;
    out.markUnit(body + 1, out.length);
    if (type === H264NalType.IDR) out.markKeyframe();
    else if (type === H264NalType.SPS) this.onSps(nalStart, out);
  }

  private onSps(nalStart: number, out: FrameSink): void {
    let s = nalStart;
    while (out.bytes[s] === 0) s++;
    const sps = out.bytes.subarray(s + 1, out.length);
    const last = this.lastSps;
    if (last !== undefined && sameBytes(last, sps)) {
      out.setResolution(this.lastWidth, this.lastHeight);
      return;
    }
    try {
      const parsed = parseSps(sps);
      this.lastSps = sps.slice();
      this.lastWidth = parsed.width;
      this.lastHeight = parsed.height;
      out.setResolution(parsed.width, parsed.height);
    } catch {
      // a malformed SPS is passed on (the decoder judges it) but gives no resolution
      this.dropped["bad-sps"]++;
    }
  }

  private pushStapA(p: Uint8Array, out: FrameSink): void {
    // RFC 6184 §5.7.1: STAP-A header, then (16-bit size, NAL unit) pairs filling the payload
    const n = p.length;
    let o = 1;
    let count = 0;
    while (o < n) {
      if (o + 2 > n) {
        this.badStap(out);
        return;
      }
      const size = (p[o]! << 8) | p[o + 1]!;
      o += 2;
      if (size === 0 || o + size > n || !isSingleNalHeader(p[o]!)) {
        this.badStap(out);
        return;
      }
      o += size;
      count++;
    }
    if (count === 0) {
      this.badStap(out);
      return;
    }
    o = 1;
    while (o < n) {
      const size = (p[o]! << 8) | p[o + 1]!;
      o += 2;
      this.writeNal(p, o, o + size, out);
      o += size;
    }
  }

  private badStap(out: FrameSink): void {
    this.dropped["stap-a-malformed"]++;
    out.markCorrupt();
  }

  /**
   * startFu handles an FU-A start fragment (kept out of pushFuA, so the per-packet path of
   * middle and end fragments stays small for the optimizing compiler).
   */
  private startFu(p: Uint8Array, seq: number, type: number, end: boolean, out: FrameSink): void {
    if (this.fuOpen) this.abortFu(out, "fu-a-missing-end");
    const header = (p[0]! & 0xe0) | type;
    const stop = end ? withoutTrailingZeros(p, 2, p.length) : p.length;
    if (end && !bodyOk(p, 2, stop, 1, 1, true)) {
      this.malformed(out, out.length);
      return;
    }
    this.beforeUnit(header, p[2]!, out);
    const mark = out.length;
    if (!this.startCode(header, out)) {
      this.overflow(out, mark);
      return;
    }
    out.writeByte(header);
    out.write(p, 2, stop);
    if (out.overflowed) {
      this.overflow(out, mark);
      return;
    }
    if (end) {
      this.completed(type, mark, out);
      return;
    }
    this.fuOpen = true;
    this.fuStart = mark;
    this.fuBody = out.length - (p.length - 2);
    this.fuType = type;
    this.fuLastSeq = seq;
    return;
  }

  private pushFuA(p: Uint8Array, seq: number, out: FrameSink): void {
    // RFC 6184 §5.8: FU indicator (F, NRI, type 28), FU header (S, E, R, type), fragment
    if (p.length < 3) {
      this.dropped["fu-a-truncated"]++;
      if (this.fuOpen) this.abortFu(out, "fu-a-missing-fragment");
      out.markCorrupt();
      return;
    }
    const fuHeader = p[1]!;
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    const type = fuHeader & 0x1f;
    if (type === 0 || type > 23) {
      // RFC 6184 §5.8: an FU carries a fragment of a single NAL unit, never of an aggregate
      this.dropped["fu-a-bad-type"]++;
      if (this.fuOpen) this.abortFu(out, "fu-a-missing-fragment");
      out.markCorrupt();
      return;
    }
    if (start) {
      this.startFu(p, seq, type, end, out);
      return;
    }
    if (!this.fuOpen) {
      this.dropped["fu-a-without-start"]++;
      out.markCorrupt();
      return;
    }
    if (seq !== ((this.fuLastSeq + 1) & 0xffff)) {
      this.abortFu(out, "fu-a-missing-fragment");
      return;
    }
    if (type !== this.fuType) {
      this.abortFu(out, "fu-a-type-mismatch");
      return;
    }
    out.write(p, 2, p.length);
    if (out.overflowed) {
      this.fuOpen = false;
      this.overflow(out, this.fuStart);
      return;
    }
    this.fuLastSeq = seq;
    if (end) {
      // validate the reassembled body once, in a view bounded by what was written (one native
      // search per NAL unit, not per fragment)
      out.truncate(withoutTrailingZeros(out.bytes, this.fuBody, out.length));
      const body = out.bytes.subarray(this.fuBody, out.length);
      if (!bodyOk(body, 0, body.length, 1, 1, true)) {
        this.abortFu(out, "nal-malformed");
        return;
      }
      this.fuOpen = false;
      this.completed(type, this.fuStart, out);
    }
  }
}
