import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DigestAuthenticator, parseDigestCredentials } from "./digest-auth.js";
import { DigestClient } from "./digest-client.js";
import { computeDigestResponse } from "./digest-response.js";

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
