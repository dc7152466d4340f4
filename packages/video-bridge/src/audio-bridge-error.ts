/** AudioBridgeErrorCode names what an AudioBridge call got wrong. */
export type AudioBridgeErrorCode =
  /** the room already has `maxParticipants` sessions. */
  | "ROOM_FULL"
  /** the bridge was closed. */
  | "BRIDGE_CLOSED"
  /** the session's format cannot be bridged (codec, rate or payload type). */
  | "UNSUPPORTED"
  /** an option is out of range. */
  | "INVALID_ARGUMENT";

/**
 * AudioBridgeError is thrown for programmer mistakes and limits in AudioBridge calls (its codes are
 * those of VideoBridgeError); the media path never throws.
 */
export class AudioBridgeError extends Error {
  /** code names the rule that was broken. */
  readonly code: AudioBridgeErrorCode;

  constructor(code: AudioBridgeErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "AudioBridgeError";
    this.code = code;
  }
}
