import type { MediaDirection } from "./sdp-types.js";

const sends = (d: MediaDirection): boolean => d === "sendrecv" || d === "sendonly";
const receives = (d: MediaDirection): boolean => d === "sendrecv" || d === "recvonly";

function direction(send: boolean, receive: boolean): MediaDirection {
  if (send) return receive ? "sendrecv" : "sendonly";
  return receive ? "recvonly" : "inactive";
}

/** mirrorDirection turns the peer's direction into ours: sendonly ↔ recvonly (RFC 3264 §6.1). */
export function mirrorDirection(peer: MediaDirection): MediaDirection {
  return direction(receives(peer), sends(peer));
}

/** intersectDirection keeps only what both directions allow (sendrecv ∩ recvonly = recvonly). */
export function intersectDirection(a: MediaDirection, b: MediaDirection): MediaDirection {
  return direction(sends(a) && sends(b), receives(a) && receives(b));
}

/** isMediaDirection tells whether `value` is one of the four direction attributes. */
export function isMediaDirection(value: string): value is MediaDirection {
  return (
    value === "sendrecv" || value === "sendonly" || value === "recvonly" || value === "inactive"
  );
}
