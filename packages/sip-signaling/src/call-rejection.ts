/** CallRejection is the final response an incoming INVITE is rejected with (RFC 3261 §21). */
export interface CallRejection {
  /** statusCode is a SIP final status, 400–699. */
  readonly statusCode: number;
  /** reasonPhrase is the status line's text (RFC 3261 §7.2), e.g. `"Room Full"`. */
  readonly reasonPhrase: string;
}

/** CALL_CLOSED_BEFORE_ANSWER is what a call gets when its session is disconnected by `onCall`. */
export const CALL_CLOSED_BEFORE_ANSWER: CallRejection = {
  statusCode: 480,
  reasonPhrase: "Temporarily Unavailable",
};

/**
 * callRejectionOf maps what an `onCall` callback threw (or rejected with) before the answer to the
 * final response of the INVITE:
 * - an error carrying its own `statusCode` (an integer 400–699) and, optionally, a
 *   `reasonPhrase` (printable ASCII, at most 128 characters): that status (default reason
 *   "Rejected");
 * - `code` `ROOM_FULL` (video-bridge's RoomFullError): 486 Busy Here, reason "Room Full"
 *   (RFC 3261 §21.4.24: the end system cannot take one more call);
 * - `code` `UNSUPPORTED` (a format the room cannot bridge): 488 Not Acceptable Here (§21.4.26);
 * - `code` `KIT_CLOSED` (the room kit is shutting down): 503 Service Unavailable (§21.5.4);
 * - anything else: 500 Server Internal Error (§21.5.1).
 */
export function callRejectionOf(error: unknown): CallRejection {
  if (typeof error !== "object" || error === null) return INTERNAL;
  const { statusCode, reasonPhrase, code } = error as {
    statusCode?: unknown;
    reasonPhrase?: unknown;
    code?: unknown;
  };
  if (typeof statusCode === "number" && Number.isInteger(statusCode)) {
    if (statusCode >= 400 && statusCode <= 699) {
      return {
        statusCode,
        reasonPhrase:
          typeof reasonPhrase === "string" && /^[\x20-\x7e]{1,128}$/.test(reasonPhrase)
            ? reasonPhrase
            : "Rejected",
      };
    }
  }
  switch (code) {
    case "ROOM_FULL":
      return { statusCode: 486, reasonPhrase: "Room Full" };
    case "UNSUPPORTED":
      return { statusCode: 488, reasonPhrase: "Not Acceptable Here" };
    case "KIT_CLOSED":
      return { statusCode: 503, reasonPhrase: "Service Unavailable" };
    default:
      return INTERNAL;
  }
}

const INTERNAL: CallRejection = { statusCode: 500, reasonPhrase: "Server Internal Error" };
