/**
 * DigestClient: our UAC's answer to a 401/407 Digest challenge (RFC 3261 §22.2, RFC 7616 §3.4).
 */
import { randomBytes } from "node:crypto";
import {
  computeDigestResponse,
  type DigestAlgorithm,
  quote,
  rfc2069DigestResponse,
} from "./digest-response.js";

/** DigestClientCredentials are what our outgoing requests answer a 401/407 challenge with. */
export interface DigestClientCredentials {
  readonly username: string;
  readonly password: string;
}

/** The parsed challenge sip.js hands to the credentials (WWW-/Proxy-Authenticate). */
interface ParsedChallenge {
  readonly algorithm?: string;
  readonly realm?: string;
  readonly nonce?: string;
  readonly opaque?: string;
  readonly qop?: string | readonly string[];
}

/**
 * DigestClient answers one request's Digest challenge (RFC 3261 §22.2, RFC 7616 §3.4): SHA-256
 * or MD5, `qop=auth` when offered, else the RFC 2069 form. sip.js's core calls `authenticate`
 * with the request and the challenge, then sends the request again with `toString()` as its
 * Authorization (or Proxy-Authorization) header. sip.js's own client knows MD5 only.
 */
export class DigestClient {
  private header = "";
  private nc = 0;

  constructor(private readonly credentials: DigestClientCredentials) {}

  /** authenticate computes the answer; false when the challenge cannot be answered. */
  authenticate(
    request: { readonly method: string; readonly ruri?: unknown },
    challenge: ParsedChallenge,
  ): boolean {
    const named = (challenge.algorithm ?? "MD5").toUpperCase();
    // MD5-sess and SHA-256-sess are not supported, nor anything else
    const algorithm: DigestAlgorithm | undefined =
      named === "MD5" ? "MD5" : named === "SHA-256" ? "SHA-256" : undefined;
    if (algorithm === undefined) return false;
    const { realm, nonce } = challenge;
    if (realm === undefined || nonce === undefined || request.ruri === undefined) return false;
    const qops =
      challenge.qop === undefined ? [] : [challenge.qop].flat().flatMap((q) => q.split(","));
    const withQop = qops.some((q) => q.trim().toLowerCase() === "auth");
    if (qops.length > 0 && !withQop) return false; // auth-int only
    const uri = String(request.ruri);
    const base = { algorithm, ...this.credentials, realm, method: request.method, uri, nonce };
    const fields = [
      `username=${quote(base.username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
    ];
    if (withQop) {
      this.nc++;
      const nc = this.nc.toString(16).padStart(8, "0");
      const cnonce = randomBytes(12).toString("hex");
      const response = computeDigestResponse({ ...base, nc, cnonce, qop: "auth" });
      fields.push(
        `response=${quote(response)}`,
        `algorithm=${algorithm}`,
        "qop=auth",
        `nc=${nc}`,
        `cnonce=${quote(cnonce)}`,
      );
    } else {
      fields.push(`response=${quote(rfc2069DigestResponse(base))}`, `algorithm=${algorithm}`);
    }
    if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`);
    this.header = `Digest ${fields.join(", ")}`;
    return true;
  }

  /** toString is the Authorization value of the last `authenticate` that returned true. */
  toString(): string {
    return this.header;
  }
}
