import { RtpVideoError } from "../errors.js";
import { compactNtp, delayToCompact } from "./ntp.js";
import type { NtpTime, ReportBlock } from "./types.js";

/** ReceptionStatsOptions configure a {@link ReceptionStats}. */
export interface ReceptionStatsOptions {
  /** ssrc is the media source the statistics are about (the report block's SSRC). */
  ssrc: number;
  /** clockRate is the RTP clock rate of the source in Hz (90000 for video). */
  clockRate: number;
  /**
   * minSequential is how many packets in sequence make a source valid, and re-validate it after
   * a jump (RFC 3550 §A.1 MIN_SEQUENTIAL). Default 2; 1 accepts the first packet at once.
   */
  minSequential?: number;
  /** maxDropout is the largest forward jump taken as loss (RFC 3550 §A.1, default 3000). */
  maxDropout?: number;
  /** maxMisorder is the largest backward jump taken as reordering (RFC 3550 §A.1, default 100). */
  maxMisorder?: number;
}

/** LastSrInfo describes the last SR received from the source, for the LSR/DLSR fields. */
export interface LastSrInfo {
  /** ntpTime is the NTP timestamp carried by that SR. */
  ntpTime: NtpTime;
  /** receivedAtMs is when it arrived, on the same clock as the `nowMs` given to `reportBlock`. */
  receivedAtMs: number;
}

/** ReceptionSnapshot are the running totals of a {@link ReceptionStats} (read-only view). */
export interface ReceptionSnapshot {
  /** received counts the packets accepted (duplicates included, as RFC 3550 §6.4.1 does). */
  received: number;
  /** expected is extended highest - base + 1 (RFC 3550 §A.3). */
  expected: number;
  /** cumulativeLost is expected - received, clamped to the signed 24-bit range. */
  cumulativeLost: number;
  /** extendedHighestSequence is cycles * 2^16 + highest sequence number, modulo 2^32. */
  extendedHighestSequence: number;
  /** jitter is the interarrival jitter estimate in RTP timestamp units (not rounded). */
  jitter: number;
}

const SEQ_MOD = 0x10000;
const TWO_32 = 0x1_0000_0000;

/**
 * ReceptionStats keeps the receiver statistics RFC 3550 asks for one media source: sequence
 * number validation and extension (§A.1), cumulative and interval loss (§A.3) and interarrival
 * jitter (§A.8), and turns them into a {@link ReportBlock}.
 *
 * It is pure: every time is passed in (ms on any monotonic clock, fractions allowed), nothing
 * reads a clock.
 *
 * Jitter is updated for every packet the §A.1 check accepts (reordered and duplicate ones too,
 * as §A.8 computes it per arrival), using the previous accepted packet; packets held back during
 * probation are not counted.
 */
export class ReceptionStats {
  /** ssrc is the source these statistics describe. */
  readonly ssrc: number;
  private readonly clockRate: number;
  private readonly minSequential: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;

  private started = false; // a packet has been seen
  private valid = false; // probation passed at least once
  private probation = 0;
  private maxSeq = 0;
  private cycles = 0; // wraps * 2^16
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterValue = 0;
  private lastArrivalMs: number | undefined;
  private lastTimestamp = 0;

  constructor(options: ReceptionStatsOptions) {
    const { ssrc, clockRate } = options;
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) {
      throw new RtpVideoError("BAD_OPTION", "ReceptionStats: ssrc must be 0..2^32-1");
    }
    if (!(clockRate > 0) || !Number.isFinite(clockRate)) {
      throw new RtpVideoError("BAD_OPTION", "ReceptionStats: clockRate must be a positive number");
    }
    const minSequential = options.minSequential ?? 2;
    const maxDropout = options.maxDropout ?? 3000;
    const maxMisorder = options.maxMisorder ?? 100;
    if (!Number.isInteger(minSequential) || minSequential < 1) {
      throw new RtpVideoError(
        "BAD_OPTION",
        "ReceptionStats: minSequential must be an integer >= 1",
      );
    }
    if (
      !Number.isInteger(maxDropout) ||
      !Number.isInteger(maxMisorder) ||
      maxDropout < 1 ||
      maxMisorder < 1 ||
      maxDropout + maxMisorder > SEQ_MOD
    ) {
      throw new RtpVideoError(
        "BAD_OPTION",
        "ReceptionStats: maxDropout and maxMisorder must be >= 1 and sum to at most 65536",
      );
    }
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    this.minSequential = minSequential;
    this.maxDropout = maxDropout;
    this.maxMisorder = maxMisorder;
  }

  /**
   * receive records one RTP packet of the source. Returns true when the packet is counted, false
   * while the source is on probation or when the packet is a big jump waiting for a second one to
   * confirm a restart (RFC 3550 §A.1).
   *
   * Throws `RtpVideoError("BAD_OPTION")` for a sequence number not in 0..65535, a timestamp not
   * in 0..2^32-1 or a non-finite arrival time.
   */
  receive(sequenceNumber: number, rtpTimestamp: number, arrivalTimeMs: number): boolean {
    if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > 0xffff) {
      throw new RtpVideoError("BAD_OPTION", "ReceptionStats: sequenceNumber must be 0..65535");
    }
    if (!Number.isInteger(rtpTimestamp) || rtpTimestamp < 0 || rtpTimestamp > 0xffffffff) {
      throw new RtpVideoError("BAD_OPTION", "ReceptionStats: rtpTimestamp must be 0..2^32-1");
    }
    if (!Number.isFinite(arrivalTimeMs)) {
      throw new RtpVideoError("BAD_OPTION", "ReceptionStats: arrivalTimeMs must be finite");
    }
    if (!this.started) {
      this.started = true;
      this.initSeq(sequenceNumber);
      this.maxSeq = (sequenceNumber - 1) & 0xffff;
      this.probation = this.minSequential;
    }
    if (!this.updateSeq(sequenceNumber)) return false;
    this.valid = true;
    this.updateJitter(rtpTimestamp, arrivalTimeMs);
    return true;
  }

  /** snapshot returns the running totals without starting a new report interval. */
  snapshot(): ReceptionSnapshot {
    const extended = this.cycles + this.maxSeq;
    const expected = this.valid ? extended - this.baseSeq + 1 : 0;
    return {
      received: this.received,
      expected,
      cumulativeLost: clampLost(expected - this.received),
      extendedHighestSequence: extended % TWO_32,
      jitter: this.jitterValue,
    };
  }

  /**
   * reportBlock returns the report block about this source at time `nowMs` and starts a new
   * interval for the fraction lost (RFC 3550 §A.3), or undefined while no packet has been
   * accepted (then no block is sent, RFC 3550 §6.4.2). `lastSr` gives LSR and DLSR; without it
   * both are 0.
   */
  reportBlock(nowMs: number, lastSr?: LastSrInfo): ReportBlock | undefined {
    if (!this.valid) return undefined;
    const { expected, cumulativeLost, extendedHighestSequence } = this.snapshot();
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    // RFC 3550 §A.3: (lost << 8) / expected; below 256 as one packet at least came in, clamped anyway
    const fractionLost =
      expectedInterval <= 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost,
      highestSequence: extendedHighestSequence,
      jitter: Math.min(TWO_32 - 1, Math.floor(this.jitterValue)),
      lastSr: lastSr === undefined ? 0 : compactNtp(lastSr.ntpTime),
      delaySinceLastSr: lastSr === undefined ? 0 : delayToCompact(nowMs - lastSr.receivedAtMs),
    };
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1; // so seq == badSeq is false
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 §A.1 update_seq. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      // the source is valid once minSequential packets came in sequence
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < this.maxDropout) {
      // in order, with a permissible gap
      if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= SEQ_MOD - this.maxMisorder) {
      // a very large jump
      if (seq === this.badSeq) {
        // two sequential packets: the sender restarted without telling us, so re-sync
        this.initSeq(seq);
        this.lastArrivalMs = undefined;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet
    this.received++;
    return true;
  }

  /** RFC 3550 §A.8: J += (|D| - J) / 16, D the change in transit time, in RTP units. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    if (this.lastArrivalMs !== undefined) {
      const arrivalDelta = ((arrivalMs - this.lastArrivalMs) * this.clockRate) / 1000;
      const timestampDelta = (timestamp - this.lastTimestamp) | 0; // modulo 2^32, signed
      const d = Math.abs(arrivalDelta - timestampDelta);
      this.jitterValue += (d - this.jitterValue) / 16;
    }
    this.lastArrivalMs = arrivalMs;
    this.lastTimestamp = timestamp;
  }
}

function clampLost(lost: number): number {
  return Math.max(-0x800000, Math.min(0x7fffff, lost));
}
