import type { RoomSession } from "@framewire/video-bridge";

/** TrackKind is what a participant publishes: video, audio. */
export type TrackKind = "video" | "audio";

/** PublishedTracks says which tracks a member publishes now. */
export interface PublishedTracks {
  readonly video: boolean;
  readonly audio: boolean;
}

/**
 * RemoteMember is another member of the participant's room, as the participant sees it: a SIP
 * or RTP endpoint (its tracks are those of its call) or another server-side participant (its
 * tracks are what it publishes now).
 */
export interface RemoteMember {
  /** identity is the member's participant id (a SIP caller's user part, a token's identity). */
  readonly identity: string;
  /** sessionId is the member's session in the kit (unique; an identity may rejoin). */
  readonly sessionId: string;
  readonly session: RoomSession;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** tracks published now. */
  readonly tracks: PublishedTracks;
  /** joinedAtMs is when the participant first saw the member, on its scheduler's clock. */
  readonly joinedAtMs: number;
}
