import { H264NalType, joinAnnexB, splitAnnexB, type VideoFrame } from "@framewire/rtp-video";

/**
 * KeyframeCache keeps what a late receiver of one source needs to start decoding: the source's
 * last keyframe and, for H.264, its last SPS and PPS.
 *
 * An H.264 keyframe access unit normally carries its SPS and PPS; some senders put them only in
 * earlier access units (or send them once). `ingest` remembers the parameter sets of every frame
 * (scanning only the NAL units before the first slice) and, when a keyframe lacks them, returns a
 * repaired keyframe with the last seen SPS/PPS placed before its slices (after an AUD, as H.264
 * §7.4.1.2.3 orders them). The cached keyframe is the repaired one.
 */
export class KeyframeCache {
  private sps: Uint8Array[] = [];
  private pps: Uint8Array[] = [];
  private last: VideoFrame | undefined;
  private deltas = 0;

  /** keyframe is the last keyframe ingested (repaired), if any. */
  get keyframe(): VideoFrame | undefined {
    return this.last;
  }

  /**
   * deltasSinceKeyframe counts the delta frames ingested after the cached keyframe: 0 means the
   * cached keyframe is the newest frame, so deltas that follow decode on top of it.
   */
  get deltasSinceKeyframe(): number {
    return this.deltas;
  }

  /** ingest records one frame of the source and returns the frame to forward (maybe repaired). */
  ingest(frame: VideoFrame): VideoFrame {
    if (this.last !== undefined && this.last.codec !== frame.codec) this.clear();
    if (frame.codec === "h264") this.scanParameterSets(frame.data);
    if (!frame.keyframe) {
      this.deltas++;
      return frame;
    }
    const out = frame.codec === "h264" ? this.repair(frame) : frame;
    this.last = out;
    this.deltas = 0;
    return out;
  }

  /** clear forgets the keyframe and the parameter sets. */
  clear(): void {
    this.sps = [];
    this.pps = [];
    this.last = undefined;
    this.deltas = 0;
  }

  private scanParameterSets(data: Uint8Array): void {
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    for (const unit of leadingNalUnits(data)) {
      const type = unit[0]! & 0x1f;
      if (type === H264NalType.SPS) sps.push(unit.slice());
      else if (type === H264NalType.PPS) pps.push(unit.slice());
    }
    if (sps.length > 0) this.sps = sps;
    if (pps.length > 0) this.pps = pps;
  }

  private repair(frame: VideoFrame): VideoFrame {
    const units = splitAnnexB(frame.data);
    let hasSps = false;
    let hasPps = false;
    for (const u of units) {
      const type = u[0]! & 0x1f;
      if (type === H264NalType.SPS) hasSps = true;
      else if (type === H264NalType.PPS) hasPps = true;
    }
    const addSps = !hasSps && this.sps.length > 0;
    const addPps = !hasPps && this.pps.length > 0;
    if (!addSps && !addPps) return frame;
    const aud: Uint8Array[] = [];
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    const rest: Uint8Array[] = [];
    for (const u of units) {
      const type = u[0]! & 0x1f;
      if (type === H264NalType.AUD && sps.length + pps.length + rest.length === 0) aud.push(u);
      else if (type === H264NalType.SPS) sps.push(u);
      else if (type === H264NalType.PPS) pps.push(u);
      else rest.push(u);
    }
    if (addSps) sps.push(...this.sps);
    if (addPps) pps.push(...this.pps);
    return { ...frame, data: joinAnnexB([...aud, ...sps, ...pps, ...rest]) };
  }
}

/**
 * leadingNalUnits returns the NAL units of an Annex-B access unit up to (not including) the
 * first VCL NAL unit (types 1–5), so a large frame costs only its few header bytes.
 */
export function leadingNalUnits(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = nextStartCode(data, 0);
  while (start >= 0) {
    const begin = start + 3;
    if (begin >= data.length) break;
    const type = data[begin]! & 0x1f;
    if (type >= 1 && type <= 5) break;
    const next = nextStartCode(data, begin);
    let end = next < 0 ? data.length : next;
    while (end > begin && data[end - 1] === 0) end--;
    if (end > begin) units.push(data.subarray(begin, end));
    start = next;
  }
  return units;
}

/** nextStartCode is the index of the next 00 00 01 at or after `from`, or -1. */
function nextStartCode(data: Uint8Array, from: number): number {
  for (let i = from; i + 2 < data.length; i++) {
    if (data[i + 2]! > 1) {
      i += 2;
      continue;
    }
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) return i;
  }
  return -1;
}
