import { SignJWT } from "jose";
import type { AccessGrants } from "./access-grants.js";
import { ConnectorError } from "./errors.js";
import { tokenSecretKey } from "./token-secret.js";

/** DEFAULT_TOKEN_TTL_MS is a token's lifetime when `ttlMs` is not given: six hours. */
export const DEFAULT_TOKEN_TTL_MS = 6 * 60 * 60 * 1000;

/** AccessTokenOptions describe the token `createAccessToken` signs. */
export interface AccessTokenOptions {
  /** secret is the room server's HS256 key: a string (UTF-8) or bytes, at least 32 bytes. */
  readonly secret: string | Uint8Array;
  /** applicationId is the issuer (`iss`): LiveKit's API key, Vonage's application id. */
  readonly applicationId: string;
  /** identity names the participant (`sub`); unique in its room. */
  readonly identity: string;
  /** roomId is the one room the token admits to. */
  readonly roomId: string;
  /** ttlMs is how long the token is valid from now, in ms (default six hours). */
  readonly ttlMs?: number;
  /** name is the participant's display name. */
  readonly name?: string;
  /** metadata is free application data the room hands to the other participants. */
  readonly metadata?: string;
  /** grants default to publish and subscribe both allowed. */
  readonly grants?: Partial<AccessGrants>;
  /** clock gives the issue time in ms since the epoch (an RxJS scheduler fits; default Date). */
  readonly clock?: { now(): number };
}

/** MAX_TOKEN_FIELD_CHARS bounds identity, room, application id and name (metadata: 4096). */
export const MAX_TOKEN_FIELD_CHARS = 256;

function text(field: string, value: unknown, max: number, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || (required && value.length === 0) || value.length > max)
    throw new ConnectorError(
      "BAD_OPTION",
      `${field} must be a ${required ? "non-empty " : ""}string of at most ${max} characters`,
    );
  return value;
}

/**
 * createAccessToken signs an access token (a JWT, HS256) that admits `identity` to `roomId` until
 * `ttlMs` from now, with `grants`. The claims are LiveKit's (`iss`, `sub`, `nbf`, `exp`, `name`,
 * `metadata`, `video: { room, roomJoin, canPublish, canSubscribe }`), so a token made by LiveKit's
 * server SDK with the same key is accepted too. Bad options throw `BAD_OPTION`.
 */
export async function createAccessToken(options: AccessTokenOptions): Promise<string> {
  const key = tokenSecretKey(options.secret);
  const applicationId = text("applicationId", options.applicationId, MAX_TOKEN_FIELD_CHARS, true);
  const identity = text("identity", options.identity, MAX_TOKEN_FIELD_CHARS, true);
  const roomId = text("roomId", options.roomId, MAX_TOKEN_FIELD_CHARS, true);
  const name = text("name", options.name, MAX_TOKEN_FIELD_CHARS, false);
  const metadata = text("metadata", options.metadata, 4096, false);
  const ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000)
    throw new ConnectorError("BAD_OPTION", `ttlMs must be an integer ≥ 1000, got ${ttlMs}`);
  for (const grant of ["canPublish", "canSubscribe"] as const) {
    const v = options.grants?.[grant];
    if (v !== undefined && typeof v !== "boolean")
      throw new ConnectorError("BAD_OPTION", `grants.${grant} must be a boolean`);
  }
  const nowS = Math.floor((options.clock?.now() ?? Date.now()) / 1000);
  const claims: Record<string, unknown> = {
    video: {
      room: roomId,
      roomJoin: true,
      canPublish: options.grants?.canPublish ?? true,
      canSubscribe: options.grants?.canSubscribe ?? true,
    },
  };
  if (name !== undefined) claims.name = name;
  if (metadata !== undefined) claims.metadata = metadata;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(applicationId as string)
    .setSubject(identity as string)
    .setIssuedAt(nowS)
    .setNotBefore(nowS)
    .setExpirationTime(nowS + Math.ceil(ttlMs / 1000))
    .sign(key);
}
