/**
 * StreamEndReason says why a subscribed stream ended; every stream ends with one, on every path,
 * so a `for await` over it always terminates:
 * - `unpublished`: the remote participant stopped publishing the track;
 * - `unsubscribed`: the stream's owner closed it;
 * - `participantLeft`: the remote participant left the room;
 * - `roomClosed`: the room's kit was closed;
 * - `closed`: the local participant left (or was disconnected).
 */
export type StreamEndReason =
  | "unpublished"
  | "unsubscribed"
  | "participantLeft"
  | "roomClosed"
  | "closed";

/** STREAM_END_REASONS lists every StreamEndReason. */
export const STREAM_END_REASONS: readonly StreamEndReason[] = Object.freeze([
  "unpublished",
  "unsubscribed",
  "participantLeft",
  "roomClosed",
  "closed",
]);
