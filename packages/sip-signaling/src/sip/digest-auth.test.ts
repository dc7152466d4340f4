import { createHash } from "node:crypto";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import {
  computeDigestResponse,
  DigestAuthenticator,
  DigestClient,
  type DigestRequest,
  parseDigestCredentials,
} from "./digest-auth.js";

/** RFC 7616 §3.9.1 example (HTTP, but the computation is the same for SIP). */
const RFC7616 = {
  username: "Mufasa",
  realm: "http-auth@example.org",
  password: "Circle of Life",
  method: "GET",
  uri: "/dir/index.html",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  nc: "00000001",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  qop: "auth",
} as const;

function clock(start = 1_700_000_000_000): ManualScheduler {
  return new ManualScheduler(start);
}

describe("computeDigestResponse (RFC 7616 §3.4.1)", () => {
  it("matches the RFC 7616 §3.9.1 MD5 vector", () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: "MD5" })).toBe(
      "8ca523f5e9506fed4657c9700eebdbec",
    );
  });
  it("matches the RFC 7616 §3.9.1 SHA-256 vector", () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });
});

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

  it("offers SHA-256 first, then MD5, with qop=auth and one nonce", () => {
    const auth = new DigestAuthenticator({ realm: "fw", lookup });
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

describe("DigestClient (our answer to a 401/407)", () => {
  const request = { method: "INVITE", ruri: "sip:room1@192.0.2.1:5060" };
  const creds = { username: "bob", password: "hunter2" };
  const sent = (client: DigestClient) =>
    Object.fromEntries(parseDigestCredentials(client.toString())?.params ?? []);

  it.each(["SHA-256", "MD5"] as const)(
    "%s, qop=auth: the RFC 7616 response, nc counting up",
    (algorithm) => {
      const client = new DigestClient(creds);
      const challenge = {
        algorithm,
        realm: "r",
        nonce: "n1",
        opaque: "o",
        qop: ["auth", "auth-int"],
      };
      expect(client.authenticate(request, challenge)).toBe(true);
      const first = sent(client);
      expect(first).toMatchObject({
        username: "bob",
        realm: "r",
        nonce: "n1",
        uri: request.ruri,
        algorithm,
        qop: "auth",
        nc: "00000001",
        opaque: "o",
      });
      expect(first.response).toBe(
        computeDigestResponse({
          algorithm,
          ...creds,
          realm: "r",
          method: "INVITE",
          uri: request.ruri,
          nonce: "n1",
          nc: "00000001",
          cnonce: first.cnonce!,
          qop: "auth",
        }),
      );
      client.authenticate(request, { algorithm, realm: "r", nonce: "n2", qop: "auth" }); // stale: again
      expect(sent(client).nc).toBe("00000002");
    },
  );

  it("no qop (RFC 2069 form): MD5(HA1:nonce:HA2)", () => {
    const client = new DigestClient(creds);
    expect(client.authenticate(request, { realm: "r", nonce: "n" })).toBe(true);
    const md5 = (x: string) => createHash("md5").update(x).digest("hex");
    expect(sent(client).qop).toBeUndefined();
    expect(sent(client).response).toBe(
      md5(`${md5("bob:r:hunter2")}:n:${md5(`INVITE:${request.ruri}`)}`),
    );
  });

  it.each([
    [{ algorithm: "MD5-sess", realm: "r", nonce: "n" }],
    [{ algorithm: "SHA-512-256", realm: "r", nonce: "n" }],
    [{ realm: "r", nonce: "n", qop: "auth-int" }],
    [{ nonce: "n" }],
    [{ realm: "r" }],
  ])("refuses what it cannot answer: %j", (challenge) => {
    expect(new DigestClient(creds).authenticate(request, challenge)).toBe(false);
  });

  it("what it sends is authorized by our own DigestAuthenticator, for each algorithm offered", async () => {
    const auth = new DigestAuthenticator({
      realm: "fw",
      lookup: (u) => (u === "bob" ? "hunter2" : undefined),
    });
    for (const i of [0, 1]) {
      // a fresh nonce each time: both challenges of one 401 share theirs, and nc=1 twice is a replay
      const p = parseDigestCredentials(auth.challenge()[i]!)!.params;
      const client = new DigestClient(creds);
      const parsed = {
        algorithm: p.get("algorithm"),
        realm: p.get("realm"),
        nonce: p.get("nonce"),
        opaque: p.get("opaque"),
        qop: p.get("qop"),
      };
      expect(client.authenticate(request, parsed as never)).toBe(true);
      const v = await auth.verify({
        method: "INVITE",
        requestUri: request.ruri,
        authorization: [client.toString()],
        attemptKey: `a${i}`,
      });
      expect(v).toEqual({ kind: "authorized", username: "bob" });
    }
  });
});
