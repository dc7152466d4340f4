import type { SchedulerLike, Subscription } from "rxjs";

/**
 * ActivitySource is what the watch reads of one RTP session: its socket counters
 * (`RtpSessionBase.transport` of @framewire/rtp-video). What came from the accepted source,
 * RTP or RTCP, is `datagrams - foreignSource`; a flood from elsewhere does not keep a call up.
 */
export interface ActivitySource {
  readonly transport: { readonly datagrams: number; readonly foreignSource: number };
}

/** MediaInactivityOptions configure one MediaInactivityWatch. */
export interface MediaInactivityOptions {
  /** timeoutMs is the silence (no RTP, no RTCP on any stream) that ends the call; 0: never. */
  readonly timeoutMs: number;
  /**
   * holdTimeoutMs replaces timeoutMs while `onHold()` says no stream is expected to carry media
   * to us (the remote only receives, or the streams are inactive): 0 never ends a held call.
   */
  readonly holdTimeoutMs: number;
  /** scheduler gives the time and the polls (tests pass a virtual one). */
  readonly scheduler: SchedulerLike;
}

/** INACTIVITY_POLL_MS bounds the poll period: a tenth of the timeout, within [50, 1000] ms. */
const INACTIVITY_POLL_MS = { min: 50, max: 1000 } as const;

/**
 * MediaInactivityWatch ends a call whose media stopped (the remote vanished without BYE, its
 * BYE lost): it polls the sessions' counters and calls `onTimeout` once when none of them moved
 * for the timeout, like an SBC's RTP timeout (Asterisk `rtptimeout`, FreeSWITCH
 * `media_timeout`). The time is the injected scheduler's, so tests run it in virtual time.
 */
export class MediaInactivityWatch {
  private readonly options: MediaInactivityOptions;
  private readonly streams: () => readonly (ActivitySource | undefined)[];
  private readonly onHold: () => boolean;
  private readonly onTimeout: () => void;
  private readonly pollMs: number;
  private last: number;
  private lastChangeMs: number;
  private timer: Subscription | undefined;
  private stopped = false;

  /**
   * @param streams - the call's current RTP sessions (read at each poll: a re-INVITE may
   *   replace them).
   * @param onHold - whether no stream is expected to carry media to us now.
   * @param onTimeout - called once, when the silence reached the timeout.
   */
  constructor(
    options: MediaInactivityOptions,
    streams: () => readonly (ActivitySource | undefined)[],
    onHold: () => boolean,
    onTimeout: () => void,
  ) {
    this.options = options;
    this.streams = streams;
    this.onHold = onHold;
    this.onTimeout = onTimeout;
    const limits = [options.timeoutMs, options.holdTimeoutMs].filter((t) => t > 0);
    const shortest = limits.length === 0 ? INACTIVITY_POLL_MS.max * 10 : Math.min(...limits);
    this.pollMs = Math.min(INACTIVITY_POLL_MS.max, Math.max(INACTIVITY_POLL_MS.min, shortest / 10));
    this.last = this.activity();
    this.lastChangeMs = options.scheduler.now();
    this.schedule();
  }

  /** silentMs is how long no datagram came from the remote (at the last poll). */
  get silentMs(): number {
    return this.options.scheduler.now() - this.lastChangeMs;
  }

  /** stop ends the watch (calling it again does nothing). */
  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.options.scheduler.schedule(() => this.poll(), this.pollMs);
  }

  private poll(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.options.scheduler.now();
    const activity = this.activity();
    if (activity !== this.last) {
      this.last = activity;
      this.lastChangeMs = now;
    }
    const limit = this.onHold() ? this.options.holdTimeoutMs : this.options.timeoutMs;
    if (limit > 0 && now - this.lastChangeMs >= limit) {
      this.stop();
      this.onTimeout();
      return;
    }
    this.schedule();
  }

  private activity(): number {
    let n = 0;
    for (const s of this.streams()) {
      if (s !== undefined) n += s.transport.datagrams - s.transport.foreignSource;
    }
    return n;
  }
}
