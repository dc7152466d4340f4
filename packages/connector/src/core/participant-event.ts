import type { RemoteMember, TrackKind } from "./remote-member.js";
import type { StreamEndReason } from "./stream-end-reason.js";

/** DtmfDigit is an RFC 4733 event code as a keypad symbol. */
export type DtmfDigit =
  | "0"
  | "1"
  | "2"
  | "3"
  | "4"
  | "5"
  | "6"
  | "7"
  | "8"
  | "9"
  | "*"
  | "#"
  | "A"
  | "B"
  | "C"
  | "D";

/** ParticipantEvent is what a server-side participant's `events$` emits. */
export type ParticipantEvent =
  | { readonly type: "participant-joined"; readonly member: RemoteMember }
  | { readonly type: "participant-left"; readonly member: RemoteMember }
  | { readonly type: "track-published"; readonly member: RemoteMember; readonly kind: TrackKind }
  | { readonly type: "track-unpublished"; readonly member: RemoteMember; readonly kind: TrackKind }
  | {
      /** dtmf: a member sent an RFC 4733 telephone event (once per event, at its end). */
      readonly type: "dtmf";
      readonly member: RemoteMember;
      readonly code: number;
      readonly digit: DtmfDigit;
      readonly durationMs: number;
    }
  | {
      /** disconnected: the participant is out of the room (`closed`: it left; `roomClosed`). */
      readonly type: "disconnected";
      readonly reason: Extract<StreamEndReason, "closed" | "roomClosed">;
    };
