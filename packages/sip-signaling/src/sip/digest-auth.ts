/**
 * Digest authentication of inbound requests by a UAS (RFC 3261 §22.4 with RFC 7616 and
 * RFC 8760): MD5 and SHA-256, qop=auth, HMAC-signed nonces that expire, `stale=true` for a
 * correct answer to an expired nonce, and a bounded count of failures per call attempt.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { SipSignalingError } from "../errors.js";
import { computeDigestResponse, type DigestAlgorithm, HASHES, quote } from "./digest-response.js";

/** DigestCredentialLookup returns the password of `username` in `realm`, or undefined. */
export type DigestCredentialLookup = (
  username: string,
  realm: string,
) => string | undefined | Promise<string | undefined>;

/**
 * DEFAULT_DIGEST_ALGORITHMS is the default challenge order: MD5 first, then SHA-256. Many deployed
 * phones (and SIPp 3.6) read only the first challenge of a 401 and compute only MD5, so with
 * SHA-256 first they cannot authenticate at all; an RFC 8760 client takes the first algorithm it
 * supports, so with this order it answers MD5 too. Offer `["SHA-256", "MD5"]` when every caller
 * follows RFC 8760.
 */
export const DEFAULT_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ["MD5", "SHA-256"];

/** DigestAuthOptions configures a {@link DigestAuthenticator}. */
export interface DigestAuthOptions {
  /** realm is the protection space named in challenges (RFC 3261 §22.1). */
  readonly realm: string;
  /** lookup finds the password for a username. */
  readonly lookup: DigestCredentialLookup;
  /**
   * algorithms are offered in this order, one WWW-Authenticate value each (default
   * {@link DEFAULT_DIGEST_ALGORITHMS}: MD5 then SHA-256). `["SHA-256", "MD5"]` is RFC 8760
   * §2.4's preference order; `["SHA-256"]` refuses MD5.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** nonceTtlMs is how long a nonce is accepted (default 300 000 ms). */
  readonly nonceTtlMs?: number;
  /** maxFailures: the failed attempt that reaches it gets 403 instead of 401 (default 2). */
  readonly maxFailures?: number;
  /** secret keys the nonce HMAC (default: 32 random bytes per authenticator). */
  readonly secret?: Uint8Array;
}

/** DigestRequest is what the authenticator needs from a request. */
export interface DigestRequest {
  readonly method: string;
  /** requestUri is the Request-URI as written on the request line. */
  readonly requestUri: string;
  /** authorization holds the Authorization header field values. */
  readonly authorization: readonly string[];
  /** attemptKey groups the retries of one call attempt (Call-ID and From tag). */
  readonly attemptKey: string;
}

/** DigestVerdict is the outcome of {@link DigestAuthenticator.verify}. */
export type DigestVerdict =
  | { readonly kind: "authorized"; readonly username: string }
  | {
      readonly kind: "challenge";
      /** wwwAuthenticate holds the WWW-Authenticate values for a 401, one per algorithm. */
      readonly wwwAuthenticate: readonly string[];
      readonly stale: boolean;
      /** reason says why the request was not authorized. */
      readonly reason: string;
    }
  | { readonly kind: "forbidden"; readonly reason: string };

/** DigestCredentials are the parameters of one `Digest` Authorization value (RFC 7616 §3.4). */
export interface DigestCredentials {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

const BOUND = 4096;

/**
 * parseDigestCredentials parses `Digest name=value, name="quoted", ...` (parameter names
 * lower-cased, quoted values unescaped). Returns undefined if malformed.
 */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const m = /^\s*([A-Za-z0-9!%'*+.^_`|~-]+)\s+/.exec(value);
  if (m === null || m[1] === undefined) return undefined;
  const params = new Map<string, string>();
  let i = m[0].length;
  const n = value.length;
  while (i < n) {
    while (i < n && /[\s,]/.test(value[i] ?? "")) i++;
    if (i >= n) break;
    const nameMatch = /^[A-Za-z0-9!%'*+.^_`|~-]+/.exec(value.slice(i));
    if (nameMatch === null) return undefined;
    const name = nameMatch[0].toLowerCase();
    i += nameMatch[0].length;
    while (i < n && /\s/.test(value[i] ?? "")) i++;
    if (value[i] !== "=") return undefined;
    i++;
    while (i < n && /\s/.test(value[i] ?? "")) i++;
    let v = "";
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = value[i];
        if (c === "\\" && i + 1 < n) {
          v += value[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        v += c;
        i++;
      }
      if (!closed) return undefined;
    } else {
      const tokenMatch = /^[^\s,]*/.exec(value.slice(i));
      v = tokenMatch?.[0] ?? "";
      i += v.length;
    }
    if (params.has(name)) return undefined; // RFC 7616 §3.4: each directive at most once
    params.set(name, v);
  }
  return { scheme: m[1], params };
}

const utf8 = new TextEncoder();

function safeEqual(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Deletes the oldest entries of a Map used as a bounded cache. */
function trim<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}

/** DigestAuthenticator challenges and verifies inbound requests for one realm. */
export class DigestAuthenticator {
  /** realm is the protection space of the challenges. */
  readonly realm: string;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly nonceTtlMs: number;
  private readonly maxFailures: number;
  private readonly secret: Uint8Array;
  private readonly opaque = randomBytes(8).toString("hex");
  private readonly failures = new Map<string, { count: number; expiresAt: number }>();
  private readonly lastNonceCount = new Map<string, number>();

  constructor(
    private readonly options: DigestAuthOptions,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {
    const algorithms = options.algorithms ?? DEFAULT_DIGEST_ALGORITHMS;
    if (algorithms.length === 0 || algorithms.some((a) => !(a in HASHES))) {
      throw new SipSignalingError("BAD_OPTION", `digest algorithms must be SHA-256 and/or MD5`);
    }
    if (!/^[\x20-\x7e]*$/.test(options.realm) || options.realm === "") {
      throw new SipSignalingError("BAD_OPTION", "digest realm must be printable ASCII, not empty");
    }
    this.realm = options.realm;
    this.algorithms = algorithms;
    this.nonceTtlMs = options.nonceTtlMs ?? 300_000;
    this.maxFailures = Math.max(1, options.maxFailures ?? 2);
    this.secret = options.secret ?? randomBytes(32);
  }

  /** challenge returns the WWW-Authenticate values of a 401 (one per algorithm, in order). */
  challenge(stale = false): string[] {
    const nonce = this.newNonce();
    return this.algorithms.map(
      (algorithm) =>
        `Digest realm=${quote(this.realm)}, nonce=${quote(nonce)}, opaque=${quote(this.opaque)}, ` +
        `algorithm=${algorithm}, qop="auth"${stale ? ", stale=true" : ""}`,
    );
  }

  /** verify checks the request's credentials for this realm. */
  async verify(request: DigestRequest): Promise<DigestVerdict> {
    const credentials = request.authorization
      .map(parseDigestCredentials)
      .find((c) => c?.scheme.toLowerCase() === "digest" && c.params.get("realm") === this.realm);
    if (credentials === undefined) return this.challengeVerdict(false, "no credentials");
    const p = credentials.params;
    const algorithmName = (p.get("algorithm") ?? "MD5").toUpperCase();
    const algorithm = this.algorithms.find((a) => a === algorithmName);
    const username = p.get("username");
    const nonce = p.get("nonce") ?? "";
    const nc = p.get("nc") ?? "";
    const cnonce = p.get("cnonce") ?? "";
    const uri = p.get("uri") ?? "";
    const response = (p.get("response") ?? "").toLowerCase();
    if (algorithm === undefined)
      return this.fail(request, `algorithm ${algorithmName} not offered`);
    if (p.get("qop")?.toLowerCase() !== "auth") return this.fail(request, "qop must be auth");
    if (!/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === "") return this.fail(request, "bad nc/cnonce");
    if (username === undefined || username === "") return this.fail(request, "no username");
    if (p.has("opaque") && p.get("opaque") !== this.opaque) return this.fail(request, "bad opaque");
    // RFC 3261 §22.4: the digest-uri is the Request-URI.
    if (uri.toLowerCase() !== request.requestUri.toLowerCase()) {
      return this.fail(request, "digest uri does not match the Request-URI");
    }
    const issuedAt = this.checkNonce(nonce);
    if (issuedAt === undefined) return this.fail(request, "nonce not issued here");
    const password = await this.options.lookup(username, this.realm);
    if (password === undefined) return this.fail(request, `unknown user ${username}`);
    const expected = computeDigestResponse({
      algorithm,
      username,
      realm: this.realm,
      password,
      method: request.method,
      uri,
      nonce,
      nc,
      cnonce,
      qop: "auth",
    });
    if (!safeEqual(expected, response)) return this.fail(request, "wrong credentials");
    // RFC 7616 §3.3: stale only for a valid digest with an outdated nonce.
    if (this.scheduler.now() - issuedAt > this.nonceTtlMs) {
      return this.challengeVerdict(true, "nonce expired");
    }
    const count = Number.parseInt(nc, 16);
    const last = this.lastNonceCount.get(nonce);
    if (last !== undefined && count <= last)
      return this.challengeVerdict(true, "nonce count replayed");
    this.lastNonceCount.delete(nonce);
    this.lastNonceCount.set(nonce, count);
    trim(this.lastNonceCount, BOUND);
    this.failures.delete(request.attemptKey);
    return { kind: "authorized", username };
  }

  private challengeVerdict(stale: boolean, reason: string): DigestVerdict {
    return { kind: "challenge", wwwAuthenticate: this.challenge(stale), stale, reason };
  }

  private fail(request: DigestRequest, reason: string): DigestVerdict {
    const now = this.scheduler.now();
    const entry = this.failures.get(request.attemptKey);
    const count = entry !== undefined && entry.expiresAt > now ? entry.count + 1 : 1;
    this.failures.delete(request.attemptKey);
    this.failures.set(request.attemptKey, { count, expiresAt: now + this.nonceTtlMs });
    trim(this.failures, BOUND);
    if (count >= this.maxFailures) {
      this.failures.delete(request.attemptKey);
      return { kind: "forbidden", reason };
    }
    return this.challengeVerdict(false, reason);
  }

  private mac(issued: string, salt: string): string {
    return createHmac("sha256", this.secret)
      .update(`${issued}.${salt}.${this.realm}`)
      .digest("base64url")
      .slice(0, 22);
  }

  private newNonce(): string {
    const issued = Math.floor(this.scheduler.now()).toString(36);
    const salt = randomBytes(8).toString("hex");
    return `${issued}.${salt}.${this.mac(issued, salt)}`;
  }

  /** Returns the issue time of a nonce this authenticator signed, or undefined. */
  private checkNonce(nonce: string): number | undefined {
    const [issued, salt, mac, extra] = nonce.split(".");
    if (issued === undefined || salt === undefined || mac === undefined || extra !== undefined) {
      return undefined;
    }
    if (!safeEqual(this.mac(issued, salt), mac)) return undefined;
    const at = Number.parseInt(issued, 36);
    return Number.isFinite(at) ? at : undefined;
  }
}
