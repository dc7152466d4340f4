import type { Address } from "./udp-pair.js";

/** SourceLatchOptions configure one SourceLatch (the RTP or the RTCP side of a session). */
export interface SourceLatchOptions {
  /**
   * expected is the address the remote sends from, as signalled (SDP, configuration): accepted at
   * once, and it takes the stream back from any other source the moment it is heard.
   */
  readonly expected?: Address | undefined;
  /**
   * strict: the expected source counts as live from `nowMs` on, so nothing else is accepted
   * before it has been silent for `timeoutMs`. Not strict: an expected source never heard is not
   * live (a remote behind NAT may send from elsewhere).
   */
  readonly strict: boolean;
  /** probationPackets in sequence, from one address with one SSRC, make a new source. */
  readonly probationPackets: number;
  /** timeoutMs of silence after which the accepted source may be replaced. */
  readonly timeoutMs: number;
  /** nowMs is the time the latch starts (the strict expected source's silence starts here). */
  readonly nowMs: number;
}

/** LatchVerdict says what to do with one datagram. */
export type LatchVerdict<T> =
  /** from the accepted source: deliver it. */
  | { readonly kind: "accept" }
  /** it made its source the accepted one: deliver `held` (earlier datagrams) and then it. */
  | { readonly kind: "latched"; readonly held: readonly T[]; readonly changed: boolean }
  /** held on probation (not delivered, may be later). */
  | { readonly kind: "probation" }
  /** from another source while that is not allowed: drop it. */
  | { readonly kind: "foreign" };

/** ACCEPT is the one verdict object of the accepted source (none allocated per datagram). */
const ACCEPT: LatchVerdict<never> = { kind: "accept" };

/** MAX_CANDIDATES bounds the sources on probation at once (a flood from many ports). */
const MAX_CANDIDATES = 8;
/** MAX_HELD bounds the datagrams held per source on probation (the oldest go first). */
const MAX_HELD = 32;

interface Current {
  key: string;
  addr: Address;
  lastMs: number;
  /** confirmed: came in sequence for probationPackets (or is the expected source). */
  confirmed: boolean;
  ssrc: number;
  seq: number;
  run: number;
}

interface Candidate<T> {
  addr: Address;
  ssrc: number;
  seq: number;
  run: number;
  firstMs: number;
  lastMs: number;
  held: T[];
  /** suspect: it broke sequence or sent something unusable; only a full probation admits it. */
  suspect: boolean;
}

const keyOf = (host: string, port: number): string => `${host}|${port}`;

/**
 * SourceLatch decides, per datagram, whether its source address is the remote's, the way hardened
 * media servers do (Asterisk `strictrtp`, rtpengine strict source): the expected source is
 * accepted at once and preferred; another source is accepted only after probation — N packets
 * in sequence from one address with one SSRC — and only while the accepted source is silent for
 * the timeout (or not yet confirmed); a flood of random SSRCs or of packets out of sequence never
 * passes. Packets on probation are held (bounded) and handed back when their source is latched.
 * Pure: time is passed in; no timers.
 */
export class SourceLatch<T> {
  private readonly options: SourceLatchOptions;
  private readonly expectedKey: string | undefined;
  private current: Current | undefined;
  private readonly candidates = new Map<string, Candidate<T>>();
  /** crowded: more than one candidate, or a suspect one, since the last latch. */
  private crowded = false;

  constructor(options: SourceLatchOptions) {
    this.options = options;
    const e = options.expected;
    this.expectedKey = e === undefined ? undefined : keyOf(e[0], e[1]);
    if (e !== undefined && options.strict) this.current = this.expectedCurrent(options.nowMs);
  }

  /** source is the accepted address, if any. */
  get source(): Address | undefined {
    return this.current?.addr;
  }

  /** pending is the number of datagrams held on probation. */
  get pending(): number {
    let n = 0;
    for (const c of this.candidates.values()) n += c.held.length;
    return n;
  }

  /** isAccepted tells whether a datagram from host:port is from the accepted source. */
  isAccepted(host: string, port: number): boolean {
    const a = this.current?.addr;
    // compared field by field: no key string per datagram
    return a !== undefined && a[1] === port && a[0] === host;
  }

  /** mayChange tells whether a source other than the accepted one could be admitted now. */
  mayChange(nowMs: number): boolean {
    const c = this.current;
    return c === undefined || !c.confirmed || nowMs - c.lastMs >= this.options.timeoutMs;
  }

  /**
   * heard notes a packet from the accepted source (`isAccepted` said so): what `offer` does for
   * it, without the verdict.
   */
  heard(ssrc: number, seq: number, nowMs: number): void {
    const cur = this.current!;
    cur.lastMs = nowMs;
    if (cur.confirmed) return;
    if (ssrc === cur.ssrc && seq === ((cur.seq + 1) & 0xffff)) cur.run++;
    else cur.run = 1;
    cur.ssrc = ssrc;
    cur.seq = seq;
    if (cur.run >= this.options.probationPackets) cur.confirmed = true;
  }

  /**
   * offer judges one parsed RTP packet from host:port (`item` is held while on probation and
   * handed back in the `latched` verdict).
   */
  offer(
    host: string,
    port: number,
    ssrc: number,
    seq: number,
    nowMs: number,
    item: T,
  ): LatchVerdict<T> {
    const cur = this.current;
    if (cur !== undefined && cur.addr[1] === port && cur.addr[0] === host) {
      cur.lastMs = nowMs;
      if (!cur.confirmed) {
        if (ssrc === cur.ssrc && seq === ((cur.seq + 1) & 0xffff)) cur.run++;
        else cur.run = 1;
        cur.ssrc = ssrc;
        cur.seq = seq;
        if (cur.run >= this.options.probationPackets) cur.confirmed = true;
      }
      return ACCEPT;
    }
    const key = keyOf(host, port);
    if (key === this.expectedKey) return this.latch(this.expectedCurrent(nowMs), []);
    if (!this.mayChange(nowMs)) return { kind: "foreign" };
    let cand = this.candidates.get(key);
    if (
      cand !== undefined &&
      ssrc === cand.ssrc &&
      seq === ((cand.seq + 1) & 0xffff) &&
      nowMs - cand.lastMs < this.options.timeoutMs
    ) {
      cand.run++;
      cand.seq = seq;
      cand.lastMs = nowMs;
      if (cand.held.length >= MAX_HELD) cand.held.shift();
      cand.held.push(item);
    } else {
      if (cand !== undefined) {
        cand.suspect = true;
        this.crowded = true;
      } else {
        this.evictIfFull();
        cand = {
          addr: [host, port],
          ssrc,
          seq,
          run: 0,
          firstMs: nowMs,
          lastMs: nowMs,
          held: [],
          suspect: false,
        };
        this.candidates.set(key, cand);
        if (this.candidates.size > 1) this.crowded = true;
      }
      // the same SSRC out of sequence (loss, reordering, a duplicate) restarts the run but keeps
      // what it held, so a real stream loses nothing; another SSRC, or a pause, starts afresh
      const keep =
        cand.ssrc === ssrc && cand.held.length > 0 && nowMs - cand.lastMs < this.options.timeoutMs;
      if (!keep) cand.held = [];
      if (cand.held.length >= MAX_HELD) cand.held.shift();
      cand.held.push(item);
      cand.ssrc = ssrc;
      cand.seq = seq;
      cand.run = 1;
      cand.lastMs = nowMs;
    }
    if (cand.run < this.options.probationPackets) return { kind: "probation" };
    const held = cand.held.slice(0, -1);
    return this.latch(
      { key, addr: cand.addr, lastMs: nowMs, confirmed: true, ssrc, seq, run: cand.run },
      held,
    );
  }

  /**
   * spoil marks a candidate source that sent something unusable (malformed, another payload
   * type): it can then only pass a full probation.
   */
  spoil(host: string, port: number): void {
    const cand = this.candidates.get(keyOf(host, port));
    if (cand !== undefined) cand.suspect = true;
    this.crowded = true;
  }

  /**
   * releaseLone latches the one clean candidate of a latch that has accepted nothing yet, when
   * it has waited `holdMs` (a short stream, fewer packets than the probation, from a single
   * address, in sequence, with one SSRC, while no other source was seen). The latched source is
   * not confirmed: a source that passes a full probation may still replace it. Returns the held
   * items to deliver, or undefined.
   */
  releaseLone(nowMs: number, holdMs: number): readonly T[] | undefined {
    if (this.current !== undefined || this.crowded || this.candidates.size !== 1) return undefined;
    const [key, cand] = this.candidates.entries().next().value as [string, Candidate<T>];
    if (cand.suspect || nowMs - cand.firstMs < holdMs) return undefined;
    const v = this.latch(
      {
        key,
        addr: cand.addr,
        lastMs: cand.lastMs,
        confirmed: false,
        ssrc: cand.ssrc,
        seq: cand.seq,
        run: cand.run,
      },
      cand.held,
    );
    return v.kind === "latched" ? v.held : undefined;
  }

  /**
   * admitProven judges an RTCP datagram from host:port: accepted from the accepted or expected
   * source; from another one only when a change is allowed now and `proven` (it names SSRCs an
   * off-path sender cannot know).
   */
  admitProven(host: string, port: number, nowMs: number, proven: boolean): LatchVerdict<T> {
    const key = keyOf(host, port);
    const cur = this.current;
    if (cur !== undefined && cur.key === key) {
      cur.lastMs = nowMs;
      return { kind: "accept" };
    }
    if (key === this.expectedKey) return this.latch(this.expectedCurrent(nowMs), []);
    if (!this.mayChange(nowMs) || !proven) return { kind: "foreign" };
    return this.latch(
      { key, addr: [host, port], lastMs: nowMs, confirmed: true, ssrc: 0, seq: 0, run: 0 },
      [],
    );
  }

  private expectedCurrent(nowMs: number): Current {
    const e = this.options.expected!;
    return {
      key: this.expectedKey!,
      addr: e,
      lastMs: nowMs,
      confirmed: true,
      ssrc: 0,
      seq: 0,
      run: 0,
    };
  }

  private latch(next: Current, held: readonly T[]): LatchVerdict<T> {
    const changed = this.current !== undefined && this.current.key !== next.key;
    this.current = next;
    this.candidates.clear();
    this.crowded = false;
    return { kind: "latched", held, changed };
  }

  private evictIfFull(): void {
    if (this.candidates.size < MAX_CANDIDATES) return;
    let oldestKey: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [k, c] of this.candidates) {
      if (c.lastMs < oldest) {
        oldest = c.lastMs;
        oldestKey = k;
      }
    }
    if (oldestKey !== undefined) this.candidates.delete(oldestKey);
  }
}
