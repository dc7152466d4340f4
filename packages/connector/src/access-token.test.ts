import { isFramewireError } from "@framewire/errors";
import fc from "fast-check";
import { base64url, SignJWT } from "jose";
import { AccessToken, TokenVerifier } from "livekit-server-sdk";
import { describe, expect, it } from "vitest";
import { createAccessToken } from "./access-token.js";
import { ConnectorError, type ConnectorErrorCode } from "./errors.js";
import { MAX_TOKEN_CHARS, requireGrant, verifyAccessToken } from "./verify-access-token.js";

const SECRET = "a-room-secret-of-at-least-32-bytes!";
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const at = (ms: number) => ({ now: () => ms });
const base = {
  secret: SECRET,
  applicationId: "app-1",
  identity: "bot-1",
  roomId: "demo",
  clock: at(T0),
};
const verifyOpts = { secret: SECRET, roomId: "demo", applicationId: "app-1", clock: at(T0 + 1000) };

async function code(p: Promise<unknown>): Promise<ConnectorErrorCode | "resolved"> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    expect(isFramewireError(e)).toBe(true);
    return (e as ConnectorError).code;
  }
}

describe("createAccessToken / verifyAccessToken", () => {
  it("round-trips identity, room, application, name, metadata, grants and expiry", async () => {
    const token = await createAccessToken({
      ...base,
      name: "Bot",
      metadata: '{"k":1}',
      ttlMs: 60_000,
      grants: { canPublish: false },
    });
    expect(token.split(".")).toHaveLength(3);
    const access = await verifyAccessToken(token, verifyOpts);
    expect(access).toEqual({
      identity: "bot-1",
      roomId: "demo",
      applicationId: "app-1",
      name: "Bot",
      metadata: '{"k":1}',
      grants: { canPublish: false, canSubscribe: true },
      expiresAtMs: T0 + 60_000,
    });
    expect(() => requireGrant(access, "canSubscribe")).not.toThrow();
    expect(() => requireGrant(access, "canPublish")).toThrow(
      /PERMISSION_DENIED: bot-1 may not publish/,
    );
  });

  it("refuses an expired token (TOKEN_EXPIRED) and one not yet valid (TOKEN_INVALID), on the injected clock", async () => {
    const token = await createAccessToken({ ...base, ttlMs: 60_000 });
    expect(await code(verifyAccessToken(token, { ...verifyOpts, clock: at(T0 + 59_000) }))).toBe(
      "resolved",
    );
    expect(await code(verifyAccessToken(token, { ...verifyOpts, clock: at(T0 + 60_000) }))).toBe(
      "TOKEN_EXPIRED",
    );
    expect(
      await code(
        verifyAccessToken(token, { ...verifyOpts, clock: at(T0 + 61_000), clockToleranceMs: 5000 }),
      ),
    ).toBe("resolved");
    expect(await code(verifyAccessToken(token, { ...verifyOpts, clock: at(T0 - 10_000) }))).toBe(
      "TOKEN_INVALID",
    );
  });

  it("refuses another room, another application, another secret", async () => {
    const token = await createAccessToken(base);
    expect(await code(verifyAccessToken(token, { ...verifyOpts, roomId: "other" }))).toBe(
      "TOKEN_WRONG_ROOM",
    );
    expect(await code(verifyAccessToken(token, { ...verifyOpts, applicationId: "app-2" }))).toBe(
      "TOKEN_WRONG_APPLICATION",
    );
    const { applicationId: _, ...anyApp } = verifyOpts;
    expect(await code(verifyAccessToken(token, anyApp))).toBe("resolved");
    expect(
      await code(
        verifyAccessToken(token, { ...verifyOpts, secret: "another-secret-of-at-least-32-bytes" }),
      ),
    ).toBe("TOKEN_INVALID");
  });

  it("refuses alg none, another algorithm, a changed payload, missing claims and no roomJoin", async () => {
    const key = new TextEncoder().encode(SECRET);
    const token = await createAccessToken(base);
    const [header, payload] = token.split(".") as [string, string, string];
    const none = `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`;
    expect(await code(verifyAccessToken(none, verifyOpts))).toBe("TOKEN_INVALID");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<
      string,
      unknown
    >;
    const forged = `${header}.${base64url.encode(JSON.stringify({ ...claims, video: { room: "demo", roomJoin: true, canPublish: true } }))}.${token.split(".")[2]}`;
    expect(await code(verifyAccessToken(forged, verifyOpts))).toBe("TOKEN_INVALID");
    const hs512 = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS512" })
      .sign(new TextEncoder().encode(SECRET.repeat(2)));
    expect(await code(verifyAccessToken(hs512, { ...verifyOpts, secret: SECRET.repeat(2) }))).toBe(
      "TOKEN_INVALID",
    );
    const sign = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: "HS256" }).sign(key);
    const { exp: _e, ...noExp } = claims;
    expect(await code(verifyAccessToken(await sign(noExp), verifyOpts))).toBe("TOKEN_INVALID");
    const { sub: _s, ...noSub } = claims;
    expect(await code(verifyAccessToken(await sign(noSub), verifyOpts))).toBe("TOKEN_INVALID");
    const { video: _v, ...noVideo } = claims;
    expect(await code(verifyAccessToken(await sign(noVideo), verifyOpts))).toBe("TOKEN_INVALID");
    const noJoin = { ...claims, video: { room: "demo", roomJoin: false } };
    expect(await code(verifyAccessToken(await sign(noJoin), verifyOpts))).toBe("PERMISSION_DENIED");
    const badGrant = { ...claims, video: { room: "demo", roomJoin: true, canPublish: "yes" } };
    expect(await code(verifyAccessToken(await sign(badGrant), verifyOpts))).toBe("TOKEN_INVALID");
  });

  it("refuses garbage of any shape with TOKEN_INVALID, and an overlong token before parsing", async () => {
    expect(await code(verifyAccessToken("x".repeat(MAX_TOKEN_CHARS + 1), verifyOpts))).toBe(
      "TOKEN_INVALID",
    );
    for (const v of [
      undefined,
      null,
      42,
      {},
      "",
      "a.b.c",
      "..",
      `${"e".repeat(20)}.${"f".repeat(20)}.`,
    ]) {
      expect(await code(verifyAccessToken(v, verifyOpts))).toBe("TOKEN_INVALID");
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.array(fc.base64String(), { maxLength: 4 }).map((a) => a.join(".")),
        ),
        async (s) => {
          expect(await code(verifyAccessToken(s, verifyOpts))).toBe("TOKEN_INVALID");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("checks its options with BAD_OPTION: a short secret, empty fields, a bad ttl, a non-boolean grant", async () => {
    expect(await code(createAccessToken({ ...base, secret: "short" }))).toBe("BAD_OPTION");
    expect(
      await code(verifyAccessToken("a.b.c", { ...verifyOpts, secret: new Uint8Array(31) })),
    ).toBe("BAD_OPTION");
    expect(await code(createAccessToken({ ...base, identity: "" }))).toBe("BAD_OPTION");
    expect(await code(createAccessToken({ ...base, roomId: "r".repeat(257) }))).toBe("BAD_OPTION");
    expect(await code(createAccessToken({ ...base, ttlMs: 10 }))).toBe("BAD_OPTION");
    expect(
      await code(
        createAccessToken({ ...base, grants: { canPublish: "no" as unknown as boolean } }),
      ),
    ).toBe("BAD_OPTION");
  });
});

describe("interoperability with LiveKit's server SDK (livekit-server-sdk 2.19.2)", () => {
  it("accepts a token LiveKit's AccessToken made, grants read from its video claim", async () => {
    const lk = new AccessToken("app-1", SECRET, { identity: "lk-bot", name: "LK", ttl: "10m" });
    lk.addGrant({ room: "demo", roomJoin: true, canPublish: true, canSubscribe: false });
    const access = await verifyAccessToken(await lk.toJwt(), {
      secret: SECRET,
      roomId: "demo",
      applicationId: "app-1",
    });
    expect(access.identity).toBe("lk-bot");
    expect(access.name).toBe("LK");
    expect(access.grants).toEqual({ canPublish: true, canSubscribe: false });
  });

  it("makes tokens LiveKit's TokenVerifier accepts", async () => {
    const token = await createAccessToken({
      ...base,
      clock: { now: () => Date.now() },
      grants: { canSubscribe: false },
    });
    const claims = await new TokenVerifier("app-1", SECRET).verify(token);
    expect(claims.sub).toBe("bot-1");
    expect(claims.video).toMatchObject({
      room: "demo",
      roomJoin: true,
      canPublish: true,
      canSubscribe: false,
    });
  });
});
