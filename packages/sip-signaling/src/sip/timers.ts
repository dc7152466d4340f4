/**
 * Time for the SIP layer, and the UDP values of sip.js's transaction timers.
 *
 * The SIP layer's own timers (retransmission Timers A, E, G; the answer and re-INVITE timeouts;
 * digest nonce expiry) run on an injected rxjs `SchedulerLike`, `asyncScheduler` by default, as
 * every time-based part of Framewire does (tests pass a virtual-time scheduler). sip.js's internal
 * timers (B, D, F, H, I, J, K, L, M and its 2xx retransmission) always use the global
 * `setTimeout`; tests that need them in virtual time use fake global timers, which
 * `asyncScheduler` follows too (it reads the global timer functions and `Date.now` at call time).
 *
 * sip.js 0.21.2 (lib/core/timers.js) sets Timer D, I, J and K to 0, the values RFC 3261
 * §17 gives for reliable transports. Over UDP they must be D ≥ 32 s, I = T4, J = 64·T1,
 * K = T4, or retransmissions that arrive after the final response find no transaction
 * (a retransmitted BYE gets 481, a retransmitted 4xx to our INVITE goes un-ACKed).
 *
 * sip.js reads `Timers.TIMER_x` at the moment a transaction enters the state that starts
 * the timer (e.g. non-invite-server-transaction.js:198 `setTimeout(..., Timers.TIMER_J)`),
 * and `Timers` is one mutable object shared by every importer. {@link withUdpTransactionTimers}
 * sets the UDP values only for the duration of a synchronous call into the core and
 * restores them afterwards, so importing this package changes nothing globally and other
 * sip.js users in the process (WebSocket transports, where 0 is right) are unaffected.
 */
import { Core } from "sip.js";

/** T1, RFC 3261 §17.1.1.1: RTT estimate, 500 ms (sip.js `Timers.T1`). */
export const T1 = Core.Timers.T1;
/** T2, RFC 3261 §17.1.2.2: maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s. */
export const T2 = Core.Timers.T2;
/** T4, RFC 3261 §17.1.2.2: maximum duration a message remains in the network, 5 s. */
export const T4 = Core.Timers.T4;

/** UDP_TRANSACTION_TIMERS are the RFC 3261 §17 (Table 4) values for an unreliable transport. */
export const UDP_TRANSACTION_TIMERS = {
  /** Timer D, §17.1.1.2: wait time for response retransmits, > 32 s for UDP. */
  TIMER_D: 32_000,
  /** Timer I, §17.2.1: wait time for ACK retransmits, T4 for UDP. */
  TIMER_I: T4,
  /** Timer J, §17.2.2: wait time for non-INVITE request retransmits, 64·T1 for UDP. */
  TIMER_J: 64 * T1,
  /** Timer K, §17.1.2.2: wait time for response retransmits, T4 for UDP. */
  TIMER_K: T4,
} as const;

type UdpTimerName = keyof typeof UDP_TRANSACTION_TIMERS;
const UDP_TIMER_NAMES = Object.keys(UDP_TRANSACTION_TIMERS) as UdpTimerName[];

/**
 * withUdpTransactionTimers runs `fn` with sip.js's Timer D, I, J, K set to their UDP values
 * and restores the previous values afterwards (also when `fn` throws; nesting is safe).
 * Every synchronous entry into the sip.js core made for a UDP transport goes through it.
 */
export function withUdpTransactionTimers<T>(fn: () => T): T {
  const timers = Core.Timers;
  const saved = UDP_TIMER_NAMES.map((name) => timers[name]);
  for (const name of UDP_TIMER_NAMES) timers[name] = UDP_TRANSACTION_TIMERS[name];
  try {
    return fn();
  } finally {
    UDP_TIMER_NAMES.forEach((name, i) => {
      timers[name] = saved[i] ?? 0;
    });
  }
}
