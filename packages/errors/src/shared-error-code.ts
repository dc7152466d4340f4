/**
 * SharedErrorCode lists the codes that mean the same thing in every package that raises them, so
 * a caller can handle them once whatever threw: `BAD_OPTION` an option or argument outside its
 * documented range or of the wrong kind; `SESSION_NOT_FOUND` no session with that id;
 * `SESSION_CLOSED` the session was closed before or during the call; `INVALID_STATE` the object is
 * not in a state that allows the call (not started, already started); `UNSUPPORTED` a valid request
 * this build or peer cannot honour. A package's code union names those it raises.
 */
export type SharedErrorCode =
  | "BAD_OPTION"
  | "SESSION_NOT_FOUND"
  | "SESSION_CLOSED"
  | "INVALID_STATE"
  | "UNSUPPORTED";

/** SHARED_ERROR_CODES are the values of `SharedErrorCode`, in the order documented. */
export const SHARED_ERROR_CODES: readonly SharedErrorCode[] = Object.freeze([
  "BAD_OPTION",
  "SESSION_NOT_FOUND",
  "SESSION_CLOSED",
  "INVALID_STATE",
  "UNSUPPORTED",
]);
