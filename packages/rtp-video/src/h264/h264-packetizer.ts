import type { Packetizer, PayloadSink, PayloadWriter } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { unitsOf } from "../frame-units.js";
import { PayloadJoiner } from "../payload-joiner.js";
import { annexBUnitBounds } from "./annexb.js";
import { startCodePositions } from "./emulation-scan.js";
import { H264NalType } from "./nal.js";

/** H264PacketizationMode is RFC 6184's packetization-mode: 0 single NAL unit, 1 non-interleaved. */
export type H264PacketizationMode = 0 | 1;

/** H264PacketizerOptions configure an H264Packetizer. */
export interface H264PacketizerOptions {
  /** mtu is the largest RTP payload in bytes (default 1200, at least 3). */
  readonly mtu?: number;
  /** packetizationMode is 1 (default: single NAL, STAP-A, FU-A) or 0 (single NAL only). */
  readonly packetizationMode?: H264PacketizationMode;
  /**
   * oversizeInMode0 says what packetization-mode 0 does with an access unit holding a NAL unit
   * larger than the MTU, which mode 0 cannot carry (RFC 6184 §6.2): "refuse" (default) throws
   * `H264_NAL_TOO_LARGE`; "fu-a" (lenient) sends that unit as FU-A anyway, outside the mode, and
   * counts it in `stats.nalUnitsOutsideMode`; "drop" sends nothing of the access unit and counts
   * its oversize units in `stats.nalUnitsDropped`. No effect in mode 1.
   */
  readonly oversizeInMode0?: "refuse" | "fu-a" | "drop";
}

/**
 * H264PacketizerStats count the NAL units packetization-mode 0 could not send as single NAL unit
 * packets (see `oversizeInMode0`); both stay 0 in mode 1.
 */
export interface H264PacketizerStats {
  /** nalUnitsOutsideMode: NAL units larger than the MTU sent as FU-A in mode 0 ("fu-a"). */
  nalUnitsOutsideMode: number;
  /** nalUnitsDropped: NAL units larger than the MTU dropped with their access unit ("drop"). */
  nalUnitsDropped: number;
}

const EMPTY = new Uint8Array(0);

/**
 * H264Packetizer splits an Annex-B access unit into RFC 6184 payloads: a NAL unit that fits the
 * MTU goes alone (§5.6); in packetization-mode 1, consecutive small NAL units (SPS, PPS, SEI)
 * are aggregated into a STAP-A (§5.7.1) and NAL units larger than the MTU are fragmented into
 * FU-A (§5.8). Mode 0 refuses a NAL unit larger than the MTU with `H264_NAL_TOO_LARGE`, unless
 * `oversizeInMode0` says to fragment it anyway or to drop its access unit, counted in `stats`.
 * Data that does not begin with a start code (its first byte is not 0) begins with a NAL unit
 * given raw, as roomkit's examples send one: that unit runs up to the first start code, or is the
 * whole buffer (a single NAL unit without a start code). Its header must be a NAL unit header
 * (forbidden_zero_bit 0, type 1..23), else `H264_BAD_NAL`. Either way one call is one access
 * unit: the marker bit goes on its last packet.
 */
export class H264Packetizer implements Packetizer {
  /** codec is always "h264". */
  readonly codec = "h264" as const;
  /** mtu is the largest payload emitted. */
  readonly mtu: number;
  /** packetizationMode in use. */
  readonly packetizationMode: H264PacketizationMode;
  /** oversizeInMode0 in use (see H264PacketizerOptions). */
  readonly oversizeInMode0: "refuse" | "fu-a" | "drop";
  /** counters, shared with the packetizers nested calls get. */
  private counters: H264PacketizerStats = { nalUnitsOutsideMode: 0, nalUnitsDropped: 0 };
  /** scratch holds a STAP-A as it is built. */
  private readonly scratch: Uint8Array;
  /** prefix holds an FU indicator and header. */
  private readonly prefix = new Uint8Array(2);
  /** bounds and sources describe the NAL units of the access unit being packetized. */
  private readonly bounds: number[] = [];
  private readonly sources: Uint8Array[] = [];
  private readonly joiner: PayloadJoiner;
  /** busy is set while a call runs: a nested call (from a sink) gets a packetizer of its own. */
  private busy = false;

  constructor(options: H264PacketizerOptions = {}) {
    const mtu = options.mtu ?? 1200;
    if (!Number.isInteger(mtu) || mtu < 3 || mtu > 65000) {
      throw new RtpVideoError("BAD_OPTION", "mtu must be an integer in 3..65000");
    }
    this.mtu = mtu;
    this.packetizationMode = options.packetizationMode ?? 1;
    const oversize = options.oversizeInMode0 ?? "refuse";
    if (oversize !== "refuse" && oversize !== "fu-a" && oversize !== "drop") {
      throw new RtpVideoError("BAD_OPTION", 'oversizeInMode0 must be "refuse", "fu-a" or "drop"');
    }
    this.oversizeInMode0 = oversize;
    this.scratch = new Uint8Array(mtu);
    this.joiner = new PayloadJoiner(mtu);
  }

  /** stats are live counters of what mode 0 sent outside the mode or dropped. */
  get stats(): Readonly<H264PacketizerStats> {
    return this.counters;
  }

  /** packetize emits the payloads of one Annex-B access unit; returns how many it emitted. */
  packetize(accessUnit: Uint8Array, emit: PayloadSink): number {
    if (this.busy) return this.fresh().packetize(accessUnit, emit);
    return this.joiner.run(emit, (w) => this.packetizeTo(accessUnit, w));
  }

  /** packetizeTo writes the payloads of one Annex-B access unit in parts (see PayloadWriter). */
  packetizeTo(accessUnit: Uint8Array, out: PayloadWriter): number {
    if (this.busy) return this.fresh().packetizeTo(accessUnit, out);
    // the data of a frame a FrameAssembler delivered comes with its NAL units
    const known = unitsOf(accessUnit);
    let bounds: readonly number[];
    let count: number;
    if (known !== undefined && recordedBoundsHold(accessUnit, known)) {
      bounds = known;
      count = known.length / 2;
    } else {
      bounds = this.bounds;
      count =
        accessUnit.length > 0 && accessUnit[0] !== 0
          ? rawLeadingUnitBounds(accessUnit, this.bounds)
          : annexBUnitBounds(accessUnit, this.bounds);
    }
    if (count === 0) {
      throw new RtpVideoError(
        "H264_EMPTY_ACCESS_UNIT",
        "access unit holds no NAL unit: pass Annex-B (00 00 01 or 00 00 00 01 before each NAL " +
          "unit, H.264 §B.1) or one NAL unit without a start code (its header byte first)",
      );
    }
    const sources = this.sources;
    for (let k = 0; k < count; k++) sources[k] = accessUnit;
    this.busy = true;
    try {
      return this.run(sources, bounds, count, out);
    } finally {
      this.busy = false;
      sources.length = 0; // hold no frame between calls
    }
  }

  /** packetizeNals emits the payloads of an access unit given as NAL units (no start codes). */
  packetizeNals(nals: readonly Uint8Array[], emit: PayloadSink): number {
    if (this.busy) return this.fresh().packetizeNals(nals, emit);
    const bounds: number[] = [];
    for (const nal of nals) bounds.push(0, nal.length);
    this.busy = true;
    try {
      return this.joiner.run(emit, (w) => this.run(nals, bounds, nals.length, w));
    } finally {
      this.busy = false;
    }
  }

  private fresh(): H264Packetizer {
    const p = new H264Packetizer({
      mtu: this.mtu,
      packetizationMode: this.packetizationMode,
      oversizeInMode0: this.oversizeInMode0,
    });
    p.counters = this.counters;
    return p;
  }

  /** run packetizes NAL unit k, which is `sources[k][bounds[2k], bounds[2k+1])`, for k < count. */
  private run(
    sources: readonly Uint8Array[],
    bounds: readonly number[],
    count: number,
    out: PayloadWriter,
  ): number {
    const mtu = this.mtu;
    if (this.packetizationMode === 0) {
      let oversize = 0;
      for (let i = 0; i < count; i++) {
        const n = bounds[2 * i + 1]! - bounds[2 * i]!;
        if (n > mtu) {
          if (this.oversizeInMode0 === "refuse") {
            throw new RtpVideoError(
              "H264_NAL_TOO_LARGE",
              `NAL unit of ${n} bytes exceeds the MTU of ${mtu} in packetization-mode 0 (RFC 6184 §6.2)`,
            );
          }
          oversize++;
        }
        if (n === 0) throw new RtpVideoError("H264_BAD_NAL", "empty NAL unit (RFC 6184 §5.3)");
      }
      if (oversize > 0) {
        // "drop": a picture without its slice does not decode; send none of it
        if (this.oversizeInMode0 === "drop") {
          this.counters.nalUnitsDropped += oversize;
          return 0;
        }
        // "fu-a": fragmented below, as in mode 1
        this.counters.nalUnitsOutsideMode += oversize;
      }
    }
    let emitted = 0;
    let i = 0;
    while (i < count) {
      const src = sources[i]!;
      const start = bounds[2 * i]!;
      const end = bounds[2 * i + 1]!;
      const length = end - start;
      if (length === 0) throw new RtpVideoError("H264_BAD_NAL", "empty NAL unit (RFC 6184 §5.3)");
      if (length > mtu) {
        emitted += this.fragment(src, start, end, i === count - 1, out);
        i++;
        continue;
      }
      if (this.packetizationMode === 1) {
        // aggregate as many following NAL units as fit: 1-byte STAP-A header + (2 + size) each
        let size = 1 + 2 + length;
        let j = i + 1;
        while (j < count) {
          const next = bounds[2 * j + 1]! - bounds[2 * j]!;
          if (next === 0 || size + 2 + next > mtu) break;
          size += 2 + next;
          j++;
        }
        if (j - i >= 2) {
          emitted++;
          this.aggregate(sources, bounds, i, j);
          out.payload(this.scratch, size, EMPTY, 0, 0, j === count);
          i = j;
          continue;
        }
      }
      emitted++;
      out.payload(this.prefix, 0, src, start, end, i === count - 1);
      i++;
    }
    return emitted;
  }

  private aggregate(
    sources: readonly Uint8Array[],
    bounds: readonly number[],
    from: number,
    to: number,
  ): void {
    // RFC 6184 §5.7.1: F is the OR of the units' F bits, NRI the maximum of their NRIs
    let f = 0;
    let nri = 0;
    for (let k = from; k < to; k++) {
      const h = sources[k]![bounds[2 * k]!]!;
      f |= h & 0x80;
      nri = Math.max(nri, h & 0x60);
    }
    const out = this.scratch;
    out[0] = f | nri | H264NalType.STAP_A;
    let o = 1;
    for (let k = from; k < to; k++) {
      const start = bounds[2 * k]!;
      const end = bounds[2 * k + 1]!;
      const n = end - start;
      out[o] = n >>> 8;
      out[o + 1] = n & 0xff;
      out.set(sources[k]!.subarray(start, end), o + 2);
      o += 2 + n;
    }
  }

  private fragment(
    src: Uint8Array,
    start: number,
    end: number,
    lastNal: boolean,
    out: PayloadWriter,
  ): number {
    // RFC 6184 §5.8: the NAL header is not sent; each FU carries indicator + header + fragment
    const header = src[start]!;
    const type = header & 0x1f;
    // spread the bytes evenly, so no fragment is a runt
    const rest = end - start - 1;
    const fragments = Math.ceil(rest / (this.mtu - 2));
    const base = Math.floor(rest / fragments);
    let extra = rest - base * fragments;
    const prefix = this.prefix;
    prefix[0] = (header & 0xe0) | H264NalType.FU_A;
    let offset = start + 1;
    for (let k = 0; k < fragments; k++) {
      const take = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      const last = k === fragments - 1;
      prefix[1] = (k === 0 ? 0x80 : 0) | (last ? 0x40 : 0) | type;
      out.payload(prefix, 2, src, offset, offset + take, last && lastNal);
      offset += take;
    }
    return fragments;
  }
}

/**
 * rawLeadingUnitBounds writes into `out` the NAL unit bounds of data that begins with a NAL unit
 * without a start code: that unit runs from byte 0 up to the first start code (its trailing zero
 * bytes excluded), or is the whole of `data`; the units after the start code follow as
 * `annexBUnitBounds` finds them. Returns the count; throws `H264_BAD_NAL` when the first byte is
 * no NAL unit header.
 */
function rawLeadingUnitBounds(data: Uint8Array, out: number[]): number {
  const header = data[0]!;
  const type = header & 0x1f;
  if ((header & 0x80) !== 0 || type === 0 || type > 23) {
    throw new RtpVideoError(
      "H264_BAD_NAL",
      `data starts with byte 0x${header.toString(16).padStart(2, "0")}, neither a start code nor ` +
        "a NAL unit header (forbidden_zero_bit 0, type 1..23, RFC 6184 §5.3): pass Annex-B " +
        "(00 00 00 01 before each NAL unit) or one NAL unit without a start code",
    );
  }
  const at = startCodePositions(data);
  if (at.length === 0) {
    out.length = 0;
  } else {
    annexBUnitBounds(data, out);
  }
  let end = at.length === 0 ? data.length : at[0]!;
  while (end > 1 && data[end - 1] === 0) end--;
  out.unshift(0, end);
  return out.length / 2;
}

/**
 * recordedBoundsHold checks NAL unit offsets recorded for a frame against its bytes: units
 * follow one another from offset 0, each behind a 3- or 4-byte start code, the last one ending
 * the data. Anything else (the data was changed in place) and the units are searched for.
 */
function recordedBoundsHold(data: Uint8Array, bounds: readonly number[]): boolean {
  const n = bounds.length;
  if (n === 0 || (n & 1) !== 0) return false;
  let previousEnd = 0;
  for (let k = 0; k < n; k += 2) {
    const start = bounds[k]!;
    const end = bounds[k + 1]!;
    const gap = start - previousEnd;
    if (gap !== 3 && gap !== 4) return false;
    if (end <= start || data[start - 1] !== 1 || data[start - 2] !== 0 || data[start - 3] !== 0)
      return false;
    if (gap === 4 && data[start - 4] !== 0) return false;
    previousEnd = end;
  }
  return previousEnd === data.length;
}
