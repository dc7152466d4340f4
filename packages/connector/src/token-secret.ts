import { ConnectorError } from "./errors.js";

/** MIN_SECRET_BYTES is the shortest HS256 key accepted: the hash size (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

/** tokenSecretKey turns a secret (a string, as UTF-8, or bytes) into the HMAC key, checked. */
export function tokenSecretKey(secret: string | Uint8Array): Uint8Array {
  const key =
    typeof secret === "string"
      ? new TextEncoder().encode(secret)
      : secret instanceof Uint8Array
        ? secret
        : undefined;
  if (key === undefined)
    throw new ConnectorError("BAD_OPTION", "secret must be a string or a Uint8Array");
  if (key.byteLength < MIN_SECRET_BYTES)
    throw new ConnectorError(
      "BAD_OPTION",
      `secret must be at least ${MIN_SECRET_BYTES} bytes for HS256 (RFC 7518 §3.2), got ${key.byteLength}`,
    );
  return key;
}
