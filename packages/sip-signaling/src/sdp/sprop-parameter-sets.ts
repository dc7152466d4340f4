import { parseSps } from "@framewire/rtp-video";
import { SDP_LIMITS } from "./sdp-limits.js";

/** SpropProblem says why an H.264 `sprop-parameter-sets` value was ignored. */
export type SpropProblem =
  /** empty: the parameter has no value, or an empty item between commas. */
  | "empty"
  /** too-large: the value is longer than `SDP_LIMITS` allow for `maxParameterSets` units. */
  | "too-large"
  /** too-many: more than `SDP_LIMITS.maxParameterSets` units. */
  | "too-many"
  /** bad-base64: an item is not base64 (RFC 4648 §4), or decodes to over `maxParameterSetBytes`. */
  | "bad-base64"
  /** not-a-parameter-set: a unit is no SPS (7) or PPS (8) NAL unit, or its forbidden bit is set. */
  | "not-a-parameter-set"
  /** bad-nal: a unit holds a start code emulation or a trailing zero byte (H.264 §7.4.1). */
  | "bad-nal"
  /** bad-sps: an SPS that does not parse (H.264 §7.3.2.1.1). */
  | "bad-sps";

/** SpropParameterSets is what `parseSpropParameterSets` made of a value: the units, or why not. */
export type SpropParameterSets =
  | { readonly ok: true; readonly units: readonly Uint8Array[] }
  | { readonly ok: false; readonly problem: SpropProblem; readonly detail: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const fail = (problem: SpropProblem, detail: string): SpropParameterSets => ({
  ok: false,
  problem,
  detail,
});

/**
 * parseSpropParameterSets decodes an H.264 `sprop-parameter-sets` value (RFC 6184 §8.1): a
 * comma-separated list of base64 (RFC 4648 §4; padding may be left off) parameter-set NAL units.
 * It never throws: hostile input gives `{ ok: false, problem }`. The value is bounded before it
 * is split (`SDP_LIMITS.maxParameterSets` units of at most `maxParameterSetBytes` bytes), and each
 * unit must be an SPS that parses or a PPS, with no start code emulation or trailing zero byte,
 * so that it can be written into an Annex-B access unit as it is.
 */
export function parseSpropParameterSets(value: string): SpropParameterSets {
  const maxUnits = SDP_LIMITS.maxParameterSets;
  const maxBytes = SDP_LIMITS.maxParameterSetBytes;
  const maxItemChars = Math.ceil(maxBytes / 3) * 4;
  if (value.length > maxUnits * (maxItemChars + 1)) {
    return fail("too-large", `${value.length} characters for at most ${maxUnits} parameter sets`);
  }
  if (value.trim() === "") return fail("empty", "no parameter set");
  const items = value.split(",");
  if (items.length > maxUnits) {
    return fail("too-many", `${items.length} parameter sets, more than ${maxUnits}`);
  }
  const units: Uint8Array[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!.trim();
    const what = `parameter set ${i + 1}`;
    if (item === "") return fail("empty", `${what} is empty`);
    if (item.length > maxItemChars + 2 || !BASE64.test(item) || item.length % 4 === 1) {
      return fail("bad-base64", `${what} is not base64 of at most ${maxBytes} bytes (RFC 4648 §4)`);
    }
    const unit = decodeBase64(item);
    if (unit === undefined || unit.length < 2 || unit.length > maxBytes) {
      return fail("bad-base64", `${what} decodes to no NAL unit of 2..${maxBytes} bytes`);
    }
    const header = unit[0]!;
    const type = header & 0x1f;
    if ((header & 0x80) !== 0 || (type !== 7 && type !== 8)) {
      return fail("not-a-parameter-set", `${what} is NAL type ${type}, not SPS (7) or PPS (8)`);
    }
    if (hasStartCodeEmulation(unit) || unit[unit.length - 1] === 0) {
      return fail("bad-nal", `${what} holds a start code emulation or a trailing zero byte`);
    }
    if (type === 7) {
      try {
        parseSps(unit);
      } catch (e) {
        return fail("bad-sps", `${what}: ${(e as Error).message}`);
      }
    }
    units.push(unit);
  }
  return { ok: true, units };
}

/** decodeBase64 decodes checked base64 text (padding optional); undefined when it does not decode. */
function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** hasStartCodeEmulation: 00 00 00, 00 00 01 or 00 00 02 somewhere in `unit` (H.264 §7.4.1). */
function hasStartCodeEmulation(unit: Uint8Array): boolean {
  for (let i = 0; i + 2 < unit.length; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2]! <= 2) return true;
  }
  return false;
}

/** SpropFields are the NegotiatedMedia fields read from the peer's H.264 fmtp. */
export interface SpropFields {
  readonly parameterSets?: readonly Uint8Array[];
  readonly parameterSetsIgnored?: SpropProblem;
}

/** spropFields reads `sprop-parameter-sets` from the peer's fmtp of a negotiated H.264 format. */
export function spropFields(fmtp: Readonly<Record<string, string>>): SpropFields {
  const value = fmtp["sprop-parameter-sets"];
  if (value === undefined) return {};
  const parsed = parseSpropParameterSets(value);
  return parsed.ok ? { parameterSets: parsed.units } : { parameterSetsIgnored: parsed.problem };
}
