import { describe, expect, it } from "vitest";
import { computeDigestResponse } from "./digest-response.js";

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
