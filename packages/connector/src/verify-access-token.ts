import { errors, jwtVerify } from "jose";
import type { AccessGrants, VerifiedAccess } from "./access-grants.js";
import { ConnectorError } from "./errors.js";
import { tokenSecretKey } from "./token-secret.js";

/** MAX_TOKEN_CHARS is the longest token read; a longer one is refused before it is parsed. */
export const MAX_TOKEN_CHARS = 8192;

/** VerifyAccessTokenOptions say what a room accepts. */
export interface VerifyAccessTokenOptions {
  /** secret is the room server's HS256 key, as given to `createAccessToken`. */
  readonly secret: string | Uint8Array;
  /** roomId is the room being joined; a token for another room fails `TOKEN_WRONG_ROOM`. */
  readonly roomId: string;
  /** applicationId, when set, must be the token's issuer, else `TOKEN_WRONG_APPLICATION`. */
  readonly applicationId?: string;
  /** clock gives the time in ms since the epoch (an RxJS scheduler fits; default Date). */
  readonly clock?: { now(): number };
  /** clockToleranceMs allows that much skew on `exp` and `nbf` (default 0). */
  readonly clockToleranceMs?: number;
}

function invalid(message: string, cause?: unknown): ConnectorError {
  return new ConnectorError("TOKEN_INVALID", message, cause === undefined ? undefined : { cause });
}

function grant(video: Record<string, unknown>, name: keyof AccessGrants): boolean {
  const v = video[name];
  if (v === undefined) return true;
  if (typeof v !== "boolean") throw invalid(`video.${name} must be a boolean`);
  return v;
}

/**
 * verifyAccessToken checks a token the way a room does before admitting anyone: an HS256
 * signature by `secret` (no other algorithm, never `none`), `exp` present and not passed
 * (`TOKEN_EXPIRED`), `nbf` reached, `sub` and `iss` present, `video.roomJoin` true
 * (`PERMISSION_DENIED`), `video.room` equal to `roomId` (`TOKEN_WRONG_ROOM`), the issuer equal to
 * `applicationId` when given (`TOKEN_WRONG_APPLICATION`). Anything else wrong, or a token longer
 * than `MAX_TOKEN_CHARS`, is `TOKEN_INVALID` (the jose error as `cause`). Rejects; never throws
 * synchronously.
 */
export async function verifyAccessToken(
  token: unknown,
  options: VerifyAccessTokenOptions,
): Promise<VerifiedAccess> {
  const key = tokenSecretKey(options.secret);
  if (typeof token !== "string" || token.length === 0)
    throw invalid("the token must be a non-empty string");
  if (token.length > MAX_TOKEN_CHARS)
    throw invalid(`the token is longer than ${MAX_TOKEN_CHARS} characters`);
  const tolerance = options.clockToleranceMs ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new ConnectorError("BAD_OPTION", `clockToleranceMs must be ≥ 0, got ${tolerance}`);
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      requiredClaims: ["exp", "sub", "iss"],
      currentDate: new Date(options.clock?.now() ?? Date.now()),
      clockTolerance: Math.floor(tolerance / 1000),
    });
    payload = verified.payload as Record<string, unknown>;
  } catch (e) {
    if (e instanceof errors.JWTExpired)
      throw new ConnectorError("TOKEN_EXPIRED", "the token has expired", { cause: e });
    if (e instanceof errors.JOSEError) throw invalid(`the token was refused: ${e.message}`, e);
    throw invalid("the token could not be read", e);
  }
  const { sub, iss, exp } = payload;
  if (typeof sub !== "string" || sub === "")
    throw invalid("sub (identity) must be a non-empty string");
  if (typeof iss !== "string" || iss === "")
    throw invalid("iss (application id) must be a non-empty string");
  const video = payload.video;
  if (typeof video !== "object" || video === null || Array.isArray(video))
    throw invalid("the token has no video grant");
  const v = video as Record<string, unknown>;
  if (typeof v.room !== "string") throw invalid("video.room must be a string");
  if (v.roomJoin !== true)
    throw new ConnectorError("PERMISSION_DENIED", "the token does not grant roomJoin");
  if (v.room !== options.roomId)
    throw new ConnectorError(
      "TOKEN_WRONG_ROOM",
      `the token admits to room ${JSON.stringify(v.room)}, not ${JSON.stringify(options.roomId)}`,
    );
  if (options.applicationId !== undefined && iss !== options.applicationId)
    throw new ConnectorError(
      "TOKEN_WRONG_APPLICATION",
      `the token was issued for application ${JSON.stringify(iss)}, not ${JSON.stringify(options.applicationId)}`,
    );
  const name = payload.name;
  const metadata = payload.metadata;
  if (name !== undefined && typeof name !== "string") throw invalid("name must be a string");
  if (metadata !== undefined && typeof metadata !== "string")
    throw invalid("metadata must be a string");
  return {
    identity: sub,
    roomId: v.room,
    applicationId: iss,
    ...(name === undefined ? {} : { name }),
    ...(metadata === undefined ? {} : { metadata }),
    grants: { canPublish: grant(v, "canPublish"), canSubscribe: grant(v, "canSubscribe") },
    expiresAtMs: (exp as number) * 1000,
  };
}

/** requireGrant throws `PERMISSION_DENIED` unless `access` has `grant` (before publishing, subscribing). */
export function requireGrant(access: VerifiedAccess, grant: keyof AccessGrants): void {
  if (!access.grants[grant])
    throw new ConnectorError(
      "PERMISSION_DENIED",
      `${access.identity} may not ${grant === "canPublish" ? "publish" : "subscribe"} in room ${access.roomId} (no ${grant} grant)`,
    );
}
