import type { DtmfDigit } from "./participant-event.js";

const DIGITS: readonly DtmfDigit[] = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "*",
  "#",
  "A",
  "B",
  "C",
  "D",
];

/** TelephoneEvent is one RFC 4733 §2.3 payload: event code, end bit, volume, duration. */
export interface TelephoneEvent {
  readonly code: number;
  readonly end: boolean;
  readonly volume: number;
  /** duration in timestamp units of the stream's clock. */
  readonly duration: number;
}

/** parseTelephoneEvent reads an RFC 4733 payload (4 bytes); undefined when it is shorter. */
export function parseTelephoneEvent(data: Uint8Array): TelephoneEvent | undefined {
  if (data.byteLength < 4) return undefined;
  return {
    code: data[0] as number,
    end: ((data[1] as number) & 0x80) !== 0,
    volume: (data[1] as number) & 0x3f,
    duration: ((data[2] as number) << 8) | (data[3] as number),
  };
}

/** dtmfDigit is the keypad symbol of DTMF events 0–15 (RFC 4733 §3.2), else undefined. */
export function dtmfDigit(code: number): DtmfDigit | undefined {
  return DIGITS[code];
}
