import { RtpVideoError } from "../errors.js";
import type { NtpTime, ReportBlock } from "./types.js";

/** NTP_UNIX_OFFSET_SEC is the number of seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix). */
export const NTP_UNIX_OFFSET_SEC = 2_208_988_800;

const TWO_32 = 0x1_0000_0000;

/**
 * ntpFromMs converts a Unix time in milliseconds (fractions allowed) to a 64-bit NTP timestamp
 * (RFC 3550 §4). Seconds wrap modulo 2^32 (NTP era 1 starts in 2036).
 */
export function ntpFromMs(unixMs: number): NtpTime {
  if (!Number.isFinite(unixMs)) {
    throw new RtpVideoError("BAD_OPTION", "ntpFromMs: time must be a finite number of ms");
  }
  const wholeSec = Math.floor(unixMs / 1000);
  const restMs = unixMs - wholeSec * 1000; // 0 <= restMs <= 1000, give or take rounding
  const sec = (((wholeSec + NTP_UNIX_OFFSET_SEC) % TWO_32) + TWO_32) % TWO_32;
  const frac = Math.max(0, Math.min(TWO_32 - 1, Math.floor((restMs * TWO_32) / 1000)));
  return { sec, frac };
}

/**
 * ntpToMs converts an NTP timestamp back to Unix milliseconds. Following RFC 4330 §3, a `sec`
 * with the top bit clear is taken to be in era 1 (2036-2104), so the range is 1968-2104.
 */
export function ntpToMs(ntp: NtpTime): number {
  const sec = ntp.sec >= 0x8000_0000 ? ntp.sec : ntp.sec + TWO_32;
  return (sec - NTP_UNIX_OFFSET_SEC) * 1000 + (ntp.frac * 1000) / TWO_32;
}

/**
 * compactNtp returns the middle 32 bits of an NTP timestamp (16.16 fixed point seconds), the
 * form used by the LSR field of a report block (RFC 3550 §6.4.1).
 */
export function compactNtp(ntp: NtpTime): number {
  return (((ntp.sec & 0xffff) << 16) | (ntp.frac >>> 16)) >>> 0;
}

/** compactNtpFromMs is `compactNtp(ntpFromMs(unixMs))`. */
export function compactNtpFromMs(unixMs: number): number {
  return compactNtp(ntpFromMs(unixMs));
}

/**
 * delayToCompact converts a duration in ms to units of 1/65536 s, rounded and clamped to
 * 0..2^32-1: the DLSR field of a report block (RFC 3550 §6.4.1).
 */
export function delayToCompact(durationMs: number): number {
  if (!(durationMs > 0)) return 0; // also NaN
  return Math.min(TWO_32 - 1, Math.round((durationMs * 65536) / 1000));
}

/** compactToMs converts a duration in units of 1/65536 s (DLSR, RTT) to ms. */
export function compactToMs(compact: number): number {
  return (compact * 1000) / 65536;
}

/**
 * roundTripTimeMs computes the round-trip time of RFC 3550 §6.4.1 from a report block about our
 * own stream and the compact NTP time at which the block arrived: A - LSR - DLSR. Returns
 * undefined when the block has no LSR (the peer has not received an SR yet); a negative result
 * (clock drift, rounding) is reported as 0.
 */
export function roundTripTimeMs(
  block: Pick<ReportBlock, "lastSr" | "delaySinceLastSr">,
  arrivalCompactNtp: number,
): number | undefined {
  if (block.lastSr === 0) return undefined;
  const rtt = (arrivalCompactNtp - block.lastSr - block.delaySinceLastSr) | 0; // modulo 2^32, signed
  return rtt <= 0 ? 0 : compactToMs(rtt);
}
