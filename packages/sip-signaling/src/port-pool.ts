import { SipSignalingError } from "./errors.js";

/**
 * PortPool hands out even RTP ports (RTCP on port + 1, RFC 3550 §11) from [start, end) and takes
 * them back. A port pair is reserved before a socket binds it and released on every path; a
 * pair that fails to bind (taken by another process) is skipped. `inUse` tells whether every
 * port came back.
 */
export class PortPool {
  private readonly start: number;
  private readonly end: number;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(start: number, end: number) {
    const first = start + (start % 2);
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      first < 1024 ||
      end > 65535 ||
      end - first < 2
    ) {
      throw new SipSignalingError(
        "BAD_OPTION",
        `bad RTP port range ${start}..${end} (need ≥ one even/odd pair in 1024..65535)`,
      );
    }
    this.start = first;
    this.end = end;
    this.cursor = first;
  }

  /** capacity is the number of port pairs in the range. */
  get capacity(): number {
    return Math.floor((this.end - this.start) / 2);
  }

  /** inUse is the number of pairs handed out and not yet released. */
  get inUse(): number {
    return this.used.size;
  }

  /**
   * withPort reserves a pair and calls `bind(port)`; when bind throws (port taken elsewhere) the
   * pair is released and the next one tried, up to `attempts` times. Returns bind's result.
   */
  async withPort<T>(
    bind: (port: number) => Promise<T>,
    attempts = 16,
  ): Promise<{ port: number; value: T }> {
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const port = this.reserve();
      try {
        return { port, value: await bind(port) };
      } catch (e) {
        this.release(port);
        lastError = e;
      }
    }
    throw new SipSignalingError(
      "PORTS_EXHAUSTED",
      `no bindable RTP port pair after ${attempts} tries: ${(lastError as Error | undefined)?.message ?? "pool exhausted"}`,
    );
  }

  /** release gives a pair back (releasing twice is harmless). */
  release(port: number): void {
    this.used.delete(port);
  }

  private reserve(): number {
    const pairs = this.capacity;
    for (let i = 0; i < pairs; i++) {
      const port = this.cursor;
      this.cursor += 2;
      if (this.cursor + 1 > this.end) this.cursor = this.start;
      if (!this.used.has(port)) {
        this.used.add(port);
        return port;
      }
    }
    throw new SipSignalingError("PORTS_EXHAUSTED", `all ${pairs} RTP port pairs are in use`);
  }
}
