import { SDP_LIMITS } from "./sdp-limits.js";

/**
 * parseFmtpParams splits an `a=fmtp` value into parameters (RFC 4566 §6, format-specific): `;`
 * separates them, names are lowercased, a bare value such as RFC 4733's `0-15` maps to "".
 * Values stay strings (a profile-level-id such as 420029 is not a number). The record has no
 * prototype, so a hostile name (`__proto__`) is just a key. Extra parameters past
 * `SDP_LIMITS.maxFmtpParams` are ignored; the first of a repeated name wins.
 */
export function parseFmtpParams(config: string): Readonly<Record<string, string>> {
  const params: Record<string, string> = Object.create(null);
  let count = 0;
  for (const part of config.split(";")) {
    if (count >= SDP_LIMITS.maxFmtpParams) break;
    const item = part.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : item.slice(eq + 1).trim();
    if (name === "" || Object.hasOwn(params, name)) continue;
    params[name] = value;
    count++;
  }
  return params;
}

/** formatFmtpParams writes parameters as an `a=fmtp` value: `name=value` joined by `;`. */
export function formatFmtpParams(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([name, value]) => (value === "" ? name : `${name}=${value}`))
    .join(";");
}

/** fmtpRecord builds a prototype-free parameter record from name/value pairs. */
export function fmtpRecord(
  entries: readonly (readonly [string, string])[],
): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of entries) params[name] = value;
  return params;
}
