import { SipSignalingError } from "./errors.js";

/** PortPoolOptions tune a PortPool. */
export interface PortPoolOptions {
  /** random source for the port draw, in [0, 1); default Math.random (tests pass a seeded one). */
  readonly random?: () => number;
}

/** RANDOM_DRAWS bounds the random draws of one reservation before a scan of the whole range. */
const RANDOM_DRAWS = 32;

/**
 * PortPool hands out even RTP ports (RTCP on port + 1, RFC 3550 §11) from [start, end) and takes
 * them back. Each pair is drawn at random among the free ones (RFC 3550 §8.2 and RFC 6056's
 * reasoning for source ports: a port that cannot be guessed from the previous call's is harder
 * to inject into), reserved before a socket binds it and released on every path; a pair that
 * fails to bind (taken by another process) is skipped. `inUse` tells whether every port came
 * back.
 */
export class PortPool {
  private readonly start: number;
  private readonly end: number;
  private readonly used = new Set<number>();
  private readonly random: () => number;

  constructor(start: number, end: number, options: PortPoolOptions = {}) {
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
    this.random = options.random ?? Math.random;
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
   * withPort reserves a random free pair and calls `bind(port)`; when bind throws (e.g.
   * EADDRINUSE: the port is taken by another process) the pair is released and another one,
   * not tried yet, is drawn, up to `attempts` times. Returns bind's result and the port.
   */
  async withPort<T>(
    bind: (port: number) => Promise<T>,
    attempts = 16,
  ): Promise<{ port: number; value: T }> {
    let lastError: unknown;
    const tried = new Set<number>();
    for (let i = 0; i < attempts; i++) {
      const port = this.reserve(tried);
      if (port === undefined) break;
      tried.add(port);
      try {
        return { port, value: await bind(port) };
      } catch (e) {
        this.release(port);
        lastError = e;
      }
    }
    if (lastError === undefined) {
      throw new SipSignalingError(
        "PORTS_EXHAUSTED",
        `all ${this.capacity} RTP port pairs are in use`,
      );
    }
    throw new SipSignalingError(
      "PORTS_EXHAUSTED",
      `no bindable RTP port pair after ${tried.size} tries: ${messageOf(lastError)}`,
    );
  }

  /** release gives a pair back (releasing twice is harmless). */
  release(port: number): void {
    this.used.delete(port);
  }

  /**
   * reserve takes a free pair not in `skip`: a few random draws, then (a nearly full range) a
   * scan from a random pair on. Undefined when none is left.
   */
  private reserve(skip: ReadonlySet<number>): number | undefined {
    const pairs = this.capacity;
    const free = (port: number): boolean => !this.used.has(port) && !skip.has(port);
    for (let i = 0; i < RANDOM_DRAWS; i++) {
      const port = this.portAt(this.draw(pairs));
      if (free(port)) return this.take(port);
    }
    const from = this.draw(pairs);
    for (let i = 0; i < pairs; i++) {
      const port = this.portAt((from + i) % pairs);
      if (free(port)) return this.take(port);
    }
    return undefined;
  }

  private draw(pairs: number): number {
    return Math.min(pairs - 1, Math.floor(this.random() * pairs));
  }

  private portAt(index: number): number {
    return this.start + 2 * index;
  }

  private take(port: number): number {
    this.used.add(port);
    return port;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
