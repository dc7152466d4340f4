import {
  type RtpPacket,
  type RtpParseErrorCode,
  rtpPayloadEnd,
  rtpPayloadStart,
} from "./rtp-packet.js";

/**
 * RtpPacketView is an RtpPacket parsed from a datagram whose `payload` view is made when it is
 * first read (and kept): a session that forwards packets without looking into them makes no
 * view per packet. Its header fields are plain properties; `payload` is a getter, so a copy
 * made by spreading (`{ ...packet }`) has no payload: build one with `payload: packet.payload`.
 */
export class RtpPacketView implements RtpPacket {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly #bytes: Uint8Array;
  readonly #start: number;
  readonly #end: number;
  #payload: Uint8Array | undefined;

  /** use `tryParseRtpPacketView`, which checks the datagram first. */
  private constructor(bytes: Uint8Array, start: number, end: number) {
    const b1 = bytes[1]!;
    this.payloadType = b1 & 0x7f;
    this.marker = (b1 & 0x80) !== 0;
    this.sequenceNumber = (bytes[2]! << 8) | bytes[3]!;
    this.timestamp = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    this.ssrc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
    this.#payload = undefined;
  }

  /** payload is the media payload with padding removed: a plain Uint8Array view of the datagram. */
  get payload(): Uint8Array {
    let p = this.#payload;
    if (p === undefined) {
      const b = this.#bytes;
      p = new Uint8Array(b.buffer, b.byteOffset + this.#start, this.#end - this.#start);
      this.#payload = p;
    }
    return p;
  }

  /**
   * parse checks an RTP datagram like `tryParseRtpPacket` (RFC 3550 §5.1, §5.3.1) and returns
   * its view, or the code of the rule it breaks. The view reads `bytes` (no copy).
   */
  static parse(bytes: Uint8Array): RtpPacketView | RtpParseErrorCode {
    const start = rtpPayloadStart(bytes);
    if (typeof start === "string") return start;
    const end = rtpPayloadEnd(bytes, start);
    if (typeof end === "string") return end;
    return new RtpPacketView(bytes, start, end);
  }
}
