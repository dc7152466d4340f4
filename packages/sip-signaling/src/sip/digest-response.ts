/**
 * The Digest `response` both sides compute (RFC 7616 §3.4.1–3.4.3; RFC 2069 §2.1.1 without
 * qop): our UAS to check an Authorization value, our UAC to answer a challenge.
 */
import { createHash } from "node:crypto";

/** DigestAlgorithm is a Digest hash algorithm this UAS offers (RFC 7616 §3.4, RFC 8760 §2). */
export type DigestAlgorithm = "SHA-256" | "MD5";

/** HASHES maps each Digest algorithm to its node:crypto hash name. */
export const HASHES: Readonly<Record<DigestAlgorithm, string>> = {
  "SHA-256": "sha256",
  MD5: "md5",
};

/** DigestResponseInput is what the qop=auth response is computed from (RFC 7616 §3.4.1). */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  readonly method: string;
  readonly uri: string;
  readonly nonce: string;
  readonly nc: string;
  readonly cnonce: string;
  readonly qop: "auth";
}

/** DigestAnswerBase is a response's input without the qop=auth fields (RFC 2069's form). */
export type DigestAnswerBase = Omit<DigestResponseInput, "nc" | "cnonce" | "qop">;

/** hashesOf returns the hash function H of `input`'s algorithm, HA1 and HA2 (RFC 7616 §3.4.2–3.4.3). */
function hashesOf(input: DigestAnswerBase): {
  readonly h: (s: string) => string;
  readonly ha1: string;
  readonly ha2: string;
} {
  const h = (s: string): string =>
    createHash(HASHES[input.algorithm]).update(s, "utf8").digest("hex");
  return {
    h,
    ha1: h(`${input.username}:${input.realm}:${input.password}`),
    ha2: h(`${input.method}:${input.uri}`),
  };
}

/**
 * computeDigestResponse returns the lower-case hex `response` for qop=auth:
 * KD(H(username:realm:password), nonce:nc:cnonce:qop:H(method:uri)) (RFC 7616 §3.4.1–3.4.3).
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  const { h, ha1, ha2 } = hashesOf(input);
  return h(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/** rfc2069DigestResponse returns the `response` of a challenge without qop: H(HA1:nonce:HA2). */
export function rfc2069DigestResponse(input: DigestAnswerBase): string {
  const { h, ha1, ha2 } = hashesOf(input);
  return h(`${ha1}:${input.nonce}:${ha2}`);
}

/** quote writes a Digest quoted-string, escaping `"` and `\` (RFC 7616 §3.4). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
