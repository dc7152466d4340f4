/**
 * RetransmissionSupervisor adds the UDP retransmission timers sip.js 0.21.2 leaves empty:
 * - Timer A (RFC 3261 §17.1.1.2): INVITE client transaction in "Calling" retransmits the
 *   request at T1, 2·T1, 4·T1, ... (sip.js `InviteClientTransaction.timerA()` is an empty
 *   method, invite-client-transaction.js, and nothing schedules it);
 * - Timer E (§17.1.2.2): non-INVITE client transaction retransmits at T1 doubling up to T2
 *   in "Trying", every T2 in "Proceeding" (sip.js schedules only Timer F);
 * - Timer G (§17.2.1): INVITE server transaction in "Completed" retransmits its 3xx–6xx final
 *   response at T1 doubling up to T2 until the ACK (`timerG()` is empty).
 * The 2xx retransmission of an INVITE server (§13.3.1.4) is sip.js's own
 * (`SessionDialog.start2xxRetransmissionTimer`, session-dialog.js) and is left alone.
 *
 * The core creates transactions internally (e.g. `new InviteServerTransaction(...)` in
 * user-agent-server.js `init()`), so they cannot be subclassed; the supervisor finds new ones
 * in the core's `userAgentClients`/`userAgentServers` maps after each call into the core and
 * follows them with `addStateChangeListener`. Its timers run on an injected rxjs `SchedulerLike`.
 */
import type { SchedulerLike, Subscription } from "rxjs";
import { Core } from "sip.js";
import { noRetransmissions, type RetransmissionStats } from "./retransmission-stats.js";
import { T1, T2 } from "./timers.js";

interface Watch {
  handle: Subscription | undefined;
  stop(): void;
}

type TimerName = keyof RetransmissionStats;

/** RetransmissionSupervisor runs Timers A, E and G over a core's transactions. */
export class RetransmissionSupervisor {
  private readonly seen = new WeakSet<Core.Transaction>();
  private readonly watches = new Set<Watch>();
  private readonly counts = noRetransmissions();
  private disposed = false;

  /**
   * @param scheduler - the time of the retransmission timers
   * @param resend - sends a request retransmission to the transport (errors are the caller's)
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly resend: (message: string) => void,
  ) {}

  /** stats returns a snapshot of the retransmission counts. */
  get stats(): RetransmissionStats {
    return { ...this.counts };
  }

  /** active is the number of transactions with a running retransmission timer. */
  get active(): number {
    return this.watches.size;
  }

  /** scan starts timers for the transactions of `core` not seen before. */
  scan(core: Core.UserAgentCore): void {
    if (this.disposed) return;
    for (const uac of core.userAgentClients.values()) this.watch(uac.transaction);
    for (const uas of core.userAgentServers.values()) this.watch(uas.transaction);
  }

  /** dispose cancels every timer; later scans do nothing. */
  dispose(): void {
    this.disposed = true;
    for (const watch of [...this.watches]) watch.stop();
  }

  private watch(transaction: Core.Transaction): void {
    if (this.seen.has(transaction)) return;
    this.seen.add(transaction);
    if (transaction instanceof Core.InviteClientTransaction) {
      this.clientTimer(transaction, "timerA");
    } else if (transaction instanceof Core.NonInviteClientTransaction) {
      this.clientTimer(transaction, "timerE");
    } else if (transaction instanceof Core.InviteServerTransaction) {
      this.serverTimerG(transaction);
    }
  }

  /** Starts a watch whose timer calls `fire` (which returns the next interval or undefined to stop). */
  private start(
    transaction: Core.Transaction,
    firstInterval: number,
    fire: (interval: number) => number | undefined,
  ): void {
    if (this.disposed) return;
    const watch: Watch = {
      handle: undefined,
      stop: () => {
        watch.handle?.unsubscribe();
        watch.handle = undefined;
        transaction.removeStateChangeListener(onState);
        this.watches.delete(watch);
      },
    };
    const onState = (): void => {
      if (transaction.state === Core.TransactionState.Terminated) watch.stop();
    };
    const arm = (interval: number): void => {
      watch.handle = this.scheduler.schedule(() => {
        watch.handle = undefined;
        const next = fire(interval);
        if (next === undefined) watch.stop();
        else arm(next);
      }, interval);
    };
    transaction.addStateChangeListener(onState);
    this.watches.add(watch);
    arm(firstInterval);
  }

  private clientTimer(
    transaction: Core.InviteClientTransaction | Core.NonInviteClientTransaction,
    name: "timerA" | "timerE",
  ): void {
    const { Calling, Trying, Proceeding } = Core.TransactionState;
    const initial = name === "timerA" ? Calling : Trying;
    if (transaction.state !== initial) return;
    this.start(transaction, T1, (interval) => {
      const state = transaction.state;
      if (name === "timerA") {
        // §17.1.1.2: retransmit only in "Calling", interval doubling each time.
        if (state !== Calling) return undefined;
        this.retransmit(transaction.request.toString(), name);
        return interval * 2;
      }
      // §17.1.2.2: "Trying" doubles up to T2; in "Proceeding" the interval is T2.
      if (state !== Trying && state !== Proceeding) return undefined;
      this.retransmit(transaction.request.toString(), name);
      return state === Proceeding ? T2 : Math.min(interval * 2, T2);
    });
  }

  private serverTimerG(transaction: Core.InviteServerTransaction): void {
    const { Completed } = Core.TransactionState;
    const startG = (): void => {
      this.start(transaction, T1, (interval) => {
        if (transaction.state !== Completed) return undefined;
        // In "Completed" a retransmitted INVITE makes the transaction resend its last final
        // response (invite-server-transaction.js receiveRequest); Timer G does the same.
        transaction.receiveRequest(transaction.request);
        this.counts.timerG++;
        return Math.min(interval * 2, T2);
      });
    };
    if (transaction.state === Completed) {
      startG();
      return;
    }
    const onState = (): void => {
      const state = transaction.state;
      if (state === Completed) startG();
      if (state !== Core.TransactionState.Proceeding) {
        transaction.removeStateChangeListener(onState);
      }
    };
    if (transaction.state === Core.TransactionState.Proceeding) {
      transaction.addStateChangeListener(onState);
    }
  }

  private retransmit(message: string, name: TimerName): void {
    this.counts[name]++;
    this.resend(message);
  }
}
