import { FramewireError } from "@framewire/errors";

/**
 * VideoBridgeErrorCode names every failure `@framewire/video-bridge` reports (`VideoBridge`,
 * `AudioBridge`, `RoomKit` and the channels share it). `BAD_OPTION` is the code the other
 * Framewire packages use for an option or argument out of range.
 */
export type VideoBridgeErrorCode =
  | "ROOM_FULL"
  | "BRIDGE_CLOSED"
  | "SESSION_NOT_FOUND"
  | "BAD_OPTION"
  | "UNSUPPORTED"
  | "KIT_CLOSED"
  | "NO_CHANNEL"
  | "CHANNEL_EXISTS";

/**
 * VideoBridgeError is the one error class of `@framewire/video-bridge`, thrown by both bridges,
 * `RoomKit` and the channels: `code` is stable and machine-readable. It is thrown for programmer
 * mistakes and limits only; the media path never throws.
 */
export class VideoBridgeError extends FramewireError<VideoBridgeErrorCode> {}

/**
 * RoomFullError is the VideoBridgeError (code ROOM_FULL) either bridge's `addSession` throws when
 * a room already holds `maxParticipants` sessions.
 */
export class RoomFullError extends VideoBridgeError {
  /** roomId is the room that is full. */
  readonly roomId: string;
  /** limit is the bridge's `maxParticipants`. */
  readonly limit: number;

  constructor(roomId: string, limit: number) {
    super("ROOM_FULL", `room ${roomId} is full: it already bridges ${limit} of ${limit} sessions`);
    this.roomId = roomId;
    this.limit = limit;
  }
}
