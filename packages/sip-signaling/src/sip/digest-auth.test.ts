import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_DIGEST_ALGORITHMS,
  DigestAuthenticator,
  type DigestRequest,
  parseDigestCredentials,
} from "./digest-auth.js";
import { computeDigestResponse } from "./digest-response.js";

function clock(start = 1_700_000_000_000): ManualScheduler {
  return new ManualScheduler(start);
}

describe("parseDigestCredentials", () => {
  it("parses quoted and token values, unescapes, lower-cases names", () => {
    const c = parseDigestCredentials(
      'Digest username="Mu\\"fasa", Realm="r, x", nc=00000001,qop=auth , response="ab"',
    );
    expect(c?.scheme).toBe("Digest");
    expect(Object.fromEntries(c?.params ?? [])).toEqual({
      username: 'Mu"fasa',
      realm: "r, x",
      nc: "00000001",
      qop: "auth",
      response: "ab",
    });
  });
  it("rejects unterminated quotes, duplicates and a missing scheme", () => {
    expect(parseDigestCredentials('Digest realm="x')).toBeUndefined();
    expect(parseDigestCredentials("Digest nc=1, nc=2")).toBeUndefined();
    expect(parseDigestCredentials("realm=x")).toBeUndefined();
  });
});

describe("DigestAuthenticator", () => {
  const uri = "sip:demo@127.0.0.1:5060";

  function answer(
    challenge: string,
    password: string,
    overrides: Record<string, string> = {},
  ): string {
    const p = parseDigestCredentials(challenge)!.params;
    const algorithm = p.get("algorithm") as "MD5" | "SHA-256";
    const fields: Record<string, string> = {
      username: "alice",
      realm: p.get("realm")!,
      nonce: p.get("nonce")!,
      uri,
      algorithm,
      cnonce: "abc",
      nc: "00000001",
      qop: "auth",
      opaque: p.get("opaque")!,
      ...overrides,
    };
    fields.response ??= computeDigestResponse({
      algorithm,
      username: fields.username!,
      realm: fields.realm!,
      password,
      method: "INVITE",
      uri: fields.uri!,
      nonce: fields.nonce!,
      nc: fields.nc!,
      cnonce: fields.cnonce!,
      qop: "auth",
    });
    return `Digest ${Object.entries(fields)
      .map(([k, v]) => `${k}="${v}"`)
      .join(", ")}`;
  }

  function request(authorization: string[], attemptKey = "call-1"): DigestRequest {
    return { method: "INVITE", requestUri: uri, authorization, attemptKey };
  }

  const lookup = (user: string) => (user === "alice" ? "pw" : undefined);

  it("by default offers MD5 first, then SHA-256, with qop=auth and one nonce", () => {
    expect(DEFAULT_DIGEST_ALGORITHMS).toEqual(["MD5", "SHA-256"]);
    const auth = new DigestAuthenticator({ realm: "fw", lookup });
    const [md5, sha] = auth.challenge();
    expect(md5).toMatch(
      /^Digest realm="fw", nonce="([^"]+)", opaque="[0-9a-f]+", algorithm=MD5, qop="auth"$/,
    );
    expect(sha).toMatch(/algorithm=SHA-256/);
    expect(/nonce="([^"]+)"/.exec(md5!)?.[1]).toBe(/nonce="([^"]+)"/.exec(sha!)?.[1]);
  });

  it("offers SHA-256 first, then MD5, with qop=auth and one nonce", () => {
    const auth = new DigestAuthenticator({ realm: "fw", lookup, algorithms: ["SHA-256", "MD5"] });
    const [sha, md5] = auth.challenge();
    expect(sha).toMatch(
      /^Digest realm="fw", nonce="([^"]+)", opaque="[0-9a-f]+", algorithm=SHA-256, qop="auth"$/,
    );
    expect(md5).toMatch(/algorithm=MD5/);
    expect(/nonce="([^"]+)"/.exec(sha!)?.[1]).toBe(/nonce="([^"]+)"/.exec(md5!)?.[1]);
  });

  it("authorizes a right answer with either algorithm", async () => {
    const auth = new DigestAuthenticator({ realm: "fw", lookup });
    // Both challenges carry one nonce: each use of it needs a higher nonce count.
    for (const [i, challenge] of auth.challenge().entries()) {
      const v = await auth.verify(request([answer(challenge, "pw", { nc: `0000000${i + 1}` })]));
      expect(v).toEqual({ kind: "authorized", username: "alice" });
    }
  });

  it("challenges without credentials, then 403 at the second failure of the same attempt", async () => {
    const auth = new DigestAuthenticator({ realm: "fw", lookup });
    expect((await auth.verify(request([]))).kind).toBe("challenge");
    const [c] = auth.challenge();
    const first = await auth.verify(request([answer(c!, "bad")]));
    expect(first).toMatchObject({ kind: "challenge", stale: false, reason: "wrong credentials" });
    // Another call attempt has its own count.
    expect((await auth.verify(request([answer(c!, "bad")], "call-2"))).kind).toBe("challenge");
    expect(await auth.verify(request([answer(c!, "bad")]))).toEqual({
      kind: "forbidden",
      reason: "wrong credentials",
    });
  });

  it("refuses forged nonces, other URIs, unknown users, unoffered algorithms, missing qop", async () => {
    const auth = new DigestAuthenticator({
      realm: "fw",
      lookup,
      algorithms: ["SHA-256"],
      maxFailures: 9,
    });
    const [c] = auth.challenge();
    const reasons = async (overrides: Record<string, string>): Promise<string | undefined> => {
      const v = await auth.verify(request([answer(c!, "pw", overrides)], Math.random().toString()));
      return v.kind === "authorized" ? undefined : v.reason;
    };
    expect(await reasons({ nonce: "1.2.3" })).toBe("nonce not issued here");
    expect(await reasons({ uri: "sip:other@127.0.0.1" })).toBe(
      "digest uri does not match the Request-URI",
    );
    expect(await reasons({ username: "mallory" })).toBe("unknown user mallory");
    expect(await reasons({ algorithm: "MD5" })).toBe("algorithm MD5 not offered");
    expect(await reasons({ qop: "auth-int" })).toBe("qop must be auth");
    expect(await reasons({ opaque: "x" })).toBe("bad opaque");
    expect(await reasons({ realm: "other" })).toBe("no credentials");
  });

  it("an expired nonce with a right answer is stale; a replayed nc is stale too", async () => {
    const c = clock();
    const auth = new DigestAuthenticator({ realm: "fw", lookup, nonceTtlMs: 1000 }, c);
    const [challenge] = auth.challenge();
    const good = answer(challenge!, "pw");
    expect((await auth.verify(request([good]))).kind).toBe("authorized");
    expect(await auth.verify(request([good]))).toMatchObject({ kind: "challenge", stale: true });
    c.advance(2000);
    const next = answer(challenge!, "pw", { nc: "00000002" });
    expect(await auth.verify(request([next]))).toMatchObject({
      kind: "challenge",
      stale: true,
      reason: "nonce expired",
    });
    // A wrong answer to an expired nonce is a failure, not stale.
    expect(await auth.verify(request([answer(challenge!, "bad")]))).toMatchObject({ stale: false });
  });

  it("rejects bad options", () => {
    expect(() => new DigestAuthenticator({ realm: "", lookup })).toThrow(/BAD_OPTION/);
    expect(() => new DigestAuthenticator({ realm: "x", lookup, algorithms: [] })).toThrow(
      /BAD_OPTION/,
    );
  });
});
