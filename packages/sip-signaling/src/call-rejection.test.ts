import { FramewireError } from "@framewire/errors";
import { describe, expect, it } from "vitest";
import { CALL_CLOSED_BEFORE_ANSWER, callRejectionOf } from "./call-rejection.js";

class CodedError extends FramewireError<string> {}

describe("callRejectionOf", () => {
  it("ROOM_FULL (video-bridge's RoomFullError) → 486 Room Full", () => {
    expect(callRejectionOf(new CodedError("ROOM_FULL", "room r is full"))).toEqual({
      statusCode: 486,
      reasonPhrase: "Room Full",
    });
  });

  it("UNSUPPORTED → 488, KIT_CLOSED → 503, any other error or value → 500", () => {
    expect(callRejectionOf(new CodedError("UNSUPPORTED", "format")).statusCode).toBe(488);
    expect(callRejectionOf(new CodedError("KIT_CLOSED", "closed")).statusCode).toBe(503);
    for (const e of [new Error("boom"), new CodedError("NO_CHANNEL", "x"), "text", undefined, 7]) {
      expect(callRejectionOf(e)).toEqual({
        statusCode: 500,
        reasonPhrase: "Server Internal Error",
      });
    }
  });

  it("an error's own statusCode 400–699 and reasonPhrase win; a bad phrase is replaced", () => {
    const own = Object.assign(new Error("x"), { statusCode: 603, reasonPhrase: "Decline" });
    expect(callRejectionOf(own)).toEqual({ statusCode: 603, reasonPhrase: "Decline" });
    const crlf = Object.assign(new Error("x"), { statusCode: 403, reasonPhrase: "a\r\nVia: x" });
    expect(callRejectionOf(crlf)).toEqual({ statusCode: 403, reasonPhrase: "Rejected" });
    const full = Object.assign(new CodedError("ROOM_FULL", "x"), { statusCode: 200 });
    expect(callRejectionOf(full).statusCode).toBe(486); // 200 is no rejection
    expect(callRejectionOf({ statusCode: 480.5 }).statusCode).toBe(500);
  });

  it("a session disconnected before the answer → 480 Temporarily Unavailable", () => {
    expect(CALL_CLOSED_BEFORE_ANSWER).toEqual({
      statusCode: 480,
      reasonPhrase: "Temporarily Unavailable",
    });
  });
});
