import { FramewireError } from "@framewire/errors";

/** ConnectorErrorCode names every failure `@framewire/connector` reports. */
export type ConnectorErrorCode =
  | "BAD_OPTION"
  | "INVALID_STATE"
  | "TOKEN_INVALID"
  | "TOKEN_EXPIRED"
  | "TOKEN_WRONG_ROOM"
  | "TOKEN_WRONG_APPLICATION"
  | "PERMISSION_DENIED"
  | "MEDIA_UNAVAILABLE"
  | "SESSION_NOT_FOUND"
  | "SESSION_CLOSED";

/**
 * ConnectorError is the one error class of `@framewire/connector` (a `FramewireError`): `code`
 * is stable and machine-readable. {@link InvalidSettingError} adds the field that was wrong.
 */
export class ConnectorError extends FramewireError<ConnectorErrorCode> {}

/**
 * InvalidSettingError is the `BAD_OPTION` ConnectorError for a settings object (the Vonage-style
 * `SessionSettings`, `PublisherSettings`, `SubscriberSettings`, `AudioData`, `VideoFrame`, …):
 * `field` is the path of the wrong field, as the caller spelled it (`"av.videoPublisher.fps"`).
 */
export class InvalidSettingError extends ConnectorError {
  /** field is the dotted path of the setting that is wrong. */
  readonly field: string;

  constructor(field: string, message: string) {
    super("BAD_OPTION", `${field}: ${message}`);
    this.field = field;
  }
}
