import type { PayloadSink, PayloadWriter } from "./codec.js";

/**
 * PayloadJoiner writes payloads given in parts (PayloadWriter) as whole ones, for a PayloadSink:
 * how a packetizer that has `packetizeTo` also serves `packetize`.
 */
export class PayloadJoiner {
  private readonly bytes: Uint8Array;
  private emit: PayloadSink = () => {};

  constructor(mtu: number) {
    this.bytes = new Uint8Array(mtu);
  }

  /** writer joins each payload's parts and hands the whole to the sink of the current `run`. */
  private readonly writer: PayloadWriter = {
    payload: (prefix, prefixLength, source, start, end, last) => {
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
    },
  };

  /** run calls `work` with a writer whose payloads go, whole, to `emit`; returns what it returns. */
  run(emit: PayloadSink, work: (w: PayloadWriter) => number): number {
    const previous = this.emit;
    this.emit = emit;
    try {
      return work(this.writer);
    } finally {
      this.emit = previous;
    }
  }
}
