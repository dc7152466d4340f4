// The one error model of the house: every package's error class extends FramewireError.

/** FRAMEWIRE_ERROR marks a FramewireError across copies of this package (see `isFramewireError`). */
const FRAMEWIRE_ERROR: unique symbol = Symbol.for("@framewire/errors.FramewireError");

/** FramewireErrorOptions are the optional parts of a FramewireError. */
export interface FramewireErrorOptions {
  /** cause is the error this one was made from (the socket error behind `PORT_UNAVAILABLE`, …). */
  readonly cause?: unknown;
}

/**
 * FramewireError is the base class of every error a Framewire package throws or reports. `code` is
 * stable and machine-readable, one of the package's documented codes (see docs/vocabulary.md for
 * the whole vocabulary); the message is `CODE: what happened`, and says which rule was broken.
 * Each package has one subclass (`RtpVideoError`, `SipSignalingError`, …) that fixes `Code` to its
 * own code union, `class RtpVideoError extends FramewireError<RtpVideoErrorCode> {}`; a further
 * subclass exists only where it adds typed fields. `name` is the concrete class's name.
 */
export class FramewireError<Code extends string = string> extends Error {
  /** code identifies the failure; switch on it rather than on the message. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: FramewireErrorOptions) {
    super(
      `${code}: ${message}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    // the concrete class's name ("RtpVideoError", "InvalidVideoFrameError"), so a subclass
    // that adds no field needs no constructor
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, FRAMEWIRE_ERROR, { value: true });
  }
}

/**
 * isFramewireError tells whether `value` is a FramewireError, also one made by another copy of
 * this package (two versions installed side by side), where `instanceof` would say no. With
 * `code`, it narrows to errors carrying that code.
 */
export function isFramewireError<Code extends string = string>(
  value: unknown,
  code?: Code,
): value is FramewireError<Code> {
  if (typeof value !== "object" || value === null) return false;
  if ((value as { [FRAMEWIRE_ERROR]?: unknown })[FRAMEWIRE_ERROR] !== true) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
