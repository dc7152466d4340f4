import type { Packetizer, PayloadSink } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { splitAnnexB } from "./annexb.js";
import { H264NalType } from "./nal.js";

/** H264PacketizationMode is RFC 6184's packetization-mode: 0 single NAL unit, 1 non-interleaved. */
export type H264PacketizationMode = 0 | 1;

/** H264PacketizerOptions configure an H264Packetizer. */
export interface H264PacketizerOptions {
  /** mtu is the largest RTP payload in bytes (default 1200, at least 3). */
  readonly mtu?: number;
  /** packetizationMode is 1 (default: single NAL, STAP-A, FU-A) or 0 (single NAL only). */
  readonly packetizationMode?: H264PacketizationMode;
}

/**
 * H264Packetizer splits an Annex-B access unit into RFC 6184 payloads: a NAL unit that fits the
 * MTU goes alone (§5.6); in packetization-mode 1, consecutive small NAL units (SPS, PPS, SEI)
 * are aggregated into a STAP-A (§5.7.1) and NAL units larger than the MTU are fragmented into
 * FU-A (§5.8). Mode 0 refuses a NAL unit larger than the MTU with `H264_NAL_TOO_LARGE`.
 */
export class H264Packetizer implements Packetizer {
  /** codec is always "h264". */
  readonly codec = "h264" as const;
  /** mtu is the largest payload emitted. */
  readonly mtu: number;
  /** packetizationMode in use. */
  readonly packetizationMode: H264PacketizationMode;
  private scratch: Uint8Array;

  constructor(options: H264PacketizerOptions = {}) {
    const mtu = options.mtu ?? 1200;
    if (!Number.isInteger(mtu) || mtu < 3 || mtu > 65000) {
      throw new RtpVideoError("BAD_OPTION", "mtu must be an integer in 3..65000");
    }
    this.mtu = mtu;
    this.packetizationMode = options.packetizationMode ?? 1;
    this.scratch = new Uint8Array(mtu);
  }

  /** packetize emits the payloads of one Annex-B access unit; returns how many it emitted. */
  packetize(accessUnit: Uint8Array, emit: PayloadSink): number {
    const nals = splitAnnexB(accessUnit);
    if (nals.length === 0) {
      throw new RtpVideoError(
        "H264_EMPTY_ACCESS_UNIT",
        "access unit holds no NAL unit (H.264 §B.1)",
      );
    }
    return this.packetizeNals(nals, emit);
  }

  /** packetizeNals emits the payloads of an access unit given as NAL units (no start codes). */
  packetizeNals(nals: readonly Uint8Array[], emit: PayloadSink): number {
    const mtu = this.mtu;
    const count = nals.length;
    if (this.packetizationMode === 0) {
      for (let i = 0; i < count; i++) {
        const n = nals[i]!.length;
        if (n > mtu) {
          throw new RtpVideoError(
            "H264_NAL_TOO_LARGE",
            `NAL unit of ${n} bytes exceeds the MTU of ${mtu} in packetization-mode 0 (RFC 6184 §6.2)`,
          );
        }
        if (n === 0) throw new RtpVideoError("H264_BAD_NAL", "empty NAL unit (RFC 6184 §5.3)");
      }
    }
    let emitted = 0;
    let i = 0;
    while (i < count) {
      const nal = nals[i]!;
      if (nal.length === 0)
        throw new RtpVideoError("H264_BAD_NAL", "empty NAL unit (RFC 6184 §5.3)");
      if (nal.length > mtu) {
        emitted += this.fragment(nal, i === count - 1, emit);
        i++;
        continue;
      }
      if (this.packetizationMode === 1) {
        // aggregate as many following NAL units as fit: 1-byte STAP-A header + (2 + size) each
        let size = 1 + 2 + nal.length;
        let j = i + 1;
        while (j < count) {
          const next = nals[j]!;
          if (next.length === 0 || size + 2 + next.length > mtu) break;
          size += 2 + next.length;
          j++;
        }
        if (j - i >= 2) {
          emitted++;
          emit(this.aggregate(nals, i, j, size), j === count);
          i = j;
          continue;
        }
      }
      emitted++;
      emit(nal, i === count - 1);
      i++;
    }
    return emitted;
  }

  private aggregate(
    nals: readonly Uint8Array[],
    from: number,
    to: number,
    size: number,
  ): Uint8Array {
    // RFC 6184 §5.7.1: F is the OR of the units' F bits, NRI the maximum of their NRIs
    let f = 0;
    let nri = 0;
    for (let k = from; k < to; k++) {
      const h = nals[k]![0]!;
      f |= h & 0x80;
      nri = Math.max(nri, h & 0x60);
    }
    const out = this.scratch;
    out[0] = f | nri | H264NalType.STAP_A;
    let o = 1;
    for (let k = from; k < to; k++) {
      const nal = nals[k]!;
      out[o] = nal.length >>> 8;
      out[o + 1] = nal.length & 0xff;
      out.set(nal, o + 2);
      o += 2 + nal.length;
    }
    return out.subarray(0, size);
  }

  private fragment(nal: Uint8Array, lastNal: boolean, emit: PayloadSink): number {
    // RFC 6184 §5.8: the NAL header is not sent; each FU carries indicator + header + fragment
    const header = nal[0]!;
    const indicator = (header & 0xe0) | H264NalType.FU_A;
    const type = header & 0x1f;
    // spread the bytes evenly, so no fragment is a runt
    const rest = nal.length - 1;
    const fragments = Math.ceil(rest / (this.mtu - 2));
    const base = Math.floor(rest / fragments);
    let extra = rest - base * fragments;
    const out = this.scratch;
    out[0] = indicator;
    let offset = 1;
    for (let k = 0; k < fragments; k++) {
      const take = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      const last = k === fragments - 1;
      out[1] = (k === 0 ? 0x80 : 0) | (last ? 0x40 : 0) | type;
      out.set(nal.subarray(offset, offset + take), 2);
      offset += take;
      emit(out.subarray(0, 2 + take), last && lastNal);
    }
    return fragments;
  }
}
