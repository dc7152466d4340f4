/**
 * ServerTransactionGate decides whether a new INVITE may open a server transaction, by rate
 * rather than by one fixed table: only transactions still in progress (Trying, Proceeding:
 * waiting for our final response) count against `maxInProgress`; finished ones that wait out
 * their timers in sip.js's table (Accepted until Timer L, Completed until Timer H/J, Confirmed
 * until Timer I, up to 64·T1 = 32 s over UDP, RFC 3261 §17.2, RFC 6026 §8.7) count only against
 * `maxTable`, sized as the transaction rate times that lifetime.
 */
import { T1 } from "./timers.js";

/** TRANSACTION_LINGER_MS is the longest a finished server transaction stays (64·T1, 32 s). */
export const TRANSACTION_LINGER_MS = 64 * T1;

/** DEFAULT_MAX_SERVER_TRANSACTIONS bounds the server transactions in progress (1024). */
export const DEFAULT_MAX_SERVER_TRANSACTIONS = 1024;

/**
 * DEFAULT_SERVER_TRANSACTION_RATE is the rate of new server transactions (per second) the
 * table is sized for by default: 250/s, two per call (INVITE, BYE), so 125 calls/s; the table
 * then holds 9 024 entries, about 90 MB at the ~10 KB a finished transaction keeps
 * (bench/transaction-memory.ts).
 */
export const DEFAULT_SERVER_TRANSACTION_RATE = 250;

/** ServerTransactionLike is what the gate reads of a sip.js user agent server. */
export interface ServerTransactionLike {
  readonly transaction: { readonly state: string };
}

/** ServerTransactionLimits are the gate's two bounds. */
export interface ServerTransactionLimits {
  /** maxInProgress bounds transactions in Trying/Proceeding. */
  readonly maxInProgress: number;
  /** ratePerSecond sizes the whole table: ratePerSecond × 32 s + maxInProgress entries. */
  readonly ratePerSecond: number;
}

/** GateDecision: `open` admits; `busy` (too many in progress) and `full` (table) get 503. */
export type GateDecision = "open" | "busy" | "full";

/** ServerTransactionGateStats is what the gate saw last. */
export interface ServerTransactionGateStats {
  /** inProgress is the number of tracked server transactions in Trying/Proceeding. */
  readonly inProgress: number;
  /** tableSize is the number of server transactions in sip.js's table (finished ones too). */
  readonly tableSize: number;
  /** tableLimit is the table's bound (rate × 32 s + maxInProgress). */
  readonly tableLimit: number;
  /** busy and full count the INVITEs refused for each reason. */
  readonly busy: number;
  readonly full: number;
}

function inProgress(server: ServerTransactionLike): boolean {
  const state = server.transaction.state;
  return state === "Trying" || state === "Proceeding";
}

/** ServerTransactionGate admits new INVITE server transactions (see the file comment). */
export class ServerTransactionGate {
  /** tableLimit is the bound of the whole table. */
  readonly tableLimit: number;
  private readonly tracked = new Set<ServerTransactionLike>();
  private tableSize = 0;
  private busy = 0;
  private full = 0;

  constructor(private readonly limits: ServerTransactionLimits) {
    this.tableLimit =
      Math.ceil((limits.ratePerSecond * TRANSACTION_LINGER_MS) / 1000) + limits.maxInProgress;
  }

  /** decide says whether a new server transaction may open in `table` (sip.js's map). */
  decide(table: ReadonlyMap<string, ServerTransactionLike>): GateDecision {
    this.tableSize = table.size;
    if (table.size >= this.tableLimit) {
      this.full++;
      return "full";
    }
    if (this.tracked.size >= this.limits.maxInProgress) this.prune();
    if (this.tracked.size >= this.limits.maxInProgress) {
      this.busy++;
      return "busy";
    }
    return "open";
  }

  /** track notes a server transaction just opened (it counts while in progress). */
  track(server: ServerTransactionLike | undefined): void {
    if (server !== undefined && inProgress(server)) this.tracked.add(server);
  }

  /** stats returns the counts (in progress recounted now). */
  stats(table: ReadonlyMap<string, unknown> | undefined): ServerTransactionGateStats {
    this.prune();
    return {
      inProgress: this.tracked.size,
      tableSize: table?.size ?? this.tableSize,
      tableLimit: this.tableLimit,
      busy: this.busy,
      full: this.full,
    };
  }

  private prune(): void {
    for (const server of this.tracked) if (!inProgress(server)) this.tracked.delete(server);
  }
}
