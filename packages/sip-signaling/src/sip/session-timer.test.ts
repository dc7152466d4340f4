// RFC 4028 negotiation as a table: parsing, the UAS's answer (interval, refresher, 422), the
// UAC's headers, when to refresh and when to give up.
import { describe, expect, it } from "vitest";
import {
  expiryDelayMs,
  negotiateAsUas,
  parseMinSE,
  parseSessionExpires,
  readSessionTimer,
  refreshDelayMs,
  SESSION_TIMER_DEFAULTS,
  type SessionTimerRequest,
  uacRequestHeaders,
  uasResponseHeaders,
} from "./session-timer.js";

const OURS = SESSION_TIMER_DEFAULTS;

function request(se: string | undefined, supported: boolean, minSE?: number): SessionTimerRequest {
  return {
    sessionExpires: se === undefined ? undefined : parseSessionExpires(se),
    minSE,
    supported,
  };
}

describe("parsing (RFC 4028 §4, §5)", () => {
  it.each([
    ["1800", { interval: 1800, refresher: undefined }],
    ["90;refresher=uac", { interval: 90, refresher: "uac" }],
    ["120 ; REFRESHER = UAS;x=y", { interval: 120, refresher: "uas" }],
    ["abc", undefined],
    ["-5", undefined],
    ["", undefined],
  ])("Session-Expires %j", (value, parsed) => {
    expect(parseSessionExpires(value)).toEqual(parsed);
  });

  it("Min-SE and the compact forms (x, k) are read", () => {
    expect(parseMinSE("90;lr")).toBe(90);
    expect(parseMinSE("x")).toBeUndefined();
    const headers: Record<string, string[]> = { x: ["300;refresher=uas"], k: ["100rel, timer"] };
    expect(readSessionTimer((n) => headers[n] ?? [])).toEqual({
      sessionExpires: { interval: 300, refresher: "uas" },
      minSE: undefined,
      supported: true,
    });
  });
});

describe("negotiateAsUas (RFC 4028 §8.1, §9)", () => {
  it.each<[string, SessionTimerRequest, ReturnType<typeof negotiateAsUas>]>([
    [
      "the UAC asks and chooses",
      request("600;refresher=uas", true),
      { kind: "timer", interval: 600, refresher: "uas" },
    ],
    [
      "the UAC asks, no refresher: the UAC refreshes",
      request("600", true),
      { kind: "timer", interval: 600, refresher: "uac" },
    ],
    [
      "more than our sessionExpires is lowered to it",
      request("7200", true),
      { kind: "timer", interval: 1800, refresher: "uac" },
    ],
    [
      "but not below the request's Min-SE",
      request("7200", true, 3600),
      { kind: "timer", interval: 3600, refresher: "uac" },
    ],
    [
      "below our Min-SE from a UAC with timer: 422",
      request("30", true),
      { kind: "too-small", minSE: 90 },
    ],
    [
      "below our Min-SE without timer (a proxy's): raised, we refresh",
      request("30", false),
      { kind: "timer", interval: 90, refresher: "uas" },
    ],
    [
      "no Session-Expires, UAC supports: ours, UAC refreshes",
      request(undefined, true),
      { kind: "timer", interval: 1800, refresher: "uac" },
    ],
    [
      "no Session-Expires, no support: ours, we refresh",
      request(undefined, false),
      { kind: "timer", interval: 1800, refresher: "uas" },
    ],
  ])("%s", (_name, req, decision) => {
    expect(negotiateAsUas(req, OURS)).toEqual(decision);
  });

  it("the 2xx headers: Require: timer only when the UAC refreshes", () => {
    expect(uasResponseHeaders({ interval: 600, refresher: "uac" })).toEqual([
      "Session-Expires: 600;refresher=uac",
      "Require: timer",
    ]);
    expect(uasResponseHeaders({ interval: 600, refresher: "uas" })).toEqual([
      "Session-Expires: 600;refresher=uas",
    ]);
  });
});

describe("UAC headers and the timers (RFC 4028 §7, §10)", () => {
  it("the INVITE asks without choosing; a refresh keeps us the refresher", () => {
    expect(uacRequestHeaders(1800, 90, false)).toEqual([
      "Supported: timer",
      "Session-Expires: 1800",
      "Min-SE: 90",
    ]);
    expect(uacRequestHeaders(600, 90, true)[1]).toBe("Session-Expires: 600;refresher=uac");
  });

  it("refresh at half; BYE before expiry by min(32 s, a third)", () => {
    expect(refreshDelayMs(1800)).toBe(900_000);
    expect(expiryDelayMs(1800)).toBe(1_768_000);
    expect(expiryDelayMs(90)).toBe(60_000);
    expect(expiryDelayMs(6)).toBe(4_000);
  });
});
