/**
 * AccessGrants say what a token's holder may do in its room. Both default to true in
 * `createAccessToken`; a token without a grant is refused the action with `PERMISSION_DENIED`.
 */
export interface AccessGrants {
  /** canPublish lets the participant publish video and audio into the room. */
  readonly canPublish: boolean;
  /** canSubscribe lets the participant receive the room's video and audio. */
  readonly canSubscribe: boolean;
}

/** VerifiedAccess is what a valid token grants: who, where, what, until when. */
export interface VerifiedAccess {
  /** identity is the participant's identity (the token's `sub`). */
  readonly identity: string;
  /** roomId is the room the token admits to (LiveKit's `video.room`; Vonage's session id). */
  readonly roomId: string;
  /** applicationId is the issuer (`iss`): LiveKit's API key, Vonage's application id. */
  readonly applicationId: string;
  /** name is the participant's display name, when the token has one. */
  readonly name?: string;
  /** metadata is the participant's application metadata, when the token has some. */
  readonly metadata?: string;
  /** grants are the permissions. */
  readonly grants: AccessGrants;
  /** expiresAtMs is the expiry (`exp`) in ms since the epoch. */
  readonly expiresAtMs: number;
}
