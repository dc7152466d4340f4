import type { PayloadSink, PayloadWriter } from "./codec.js";

/**
 * PayloadJoiner writes payloads given in parts (PayloadWriter) as whole ones, for a PayloadSink:
 * how a packetizer that has `packetizeTo` also serves `packetize`.
 */
export class PayloadJoiner implements PayloadWriter {
  private readonly bytes: Uint8Array;
  private emit: PayloadSink = () => {};

  constructor(mtu: number) {
    this.bytes = new Uint8Array(mtu);
  }

  run(emit: PayloadSink, work: (w: PayloadWriter) => number): number {
    const previous = this.emit;
    this.emit = emit;
    try {
      return work(this);
    } finally {
      this.emit = previous;
    }
  }

  payload(
    prefix: Uint8Array,
    prefixLength: number,
    source: Uint8Array,
    start: number,
    end: number,
    last: boolean,
  ): void {
    if (end === start) {
      this.emit(prefix.subarray(0, prefixLength), last);
    } else if (prefixLength === 0) {
      this.emit(source.subarray(start, end), last);
    } else {
      const b = this.bytes;
      for (let i = 0; i < prefixLength; i++) b[i] = prefix[i]!;
      b.set(source.subarray(start, end), prefixLength);
      this.emit(b.subarray(0, prefixLength + end - start), last);
    }
  }
}
