/** RetransmissionStats counts retransmissions per timer (RFC 3261 §17: Timers A, E and G). */
export interface RetransmissionStats {
  readonly timerA: number;
  readonly timerE: number;
  readonly timerG: number;
}

/** noRetransmissions are the counts of a supervisor that has retransmitted nothing. */
export function noRetransmissions(): { -readonly [K in keyof RetransmissionStats]: number } {
  return { timerA: 0, timerE: 0, timerG: 0 };
}
