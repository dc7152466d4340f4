import { asyncScheduler, type Observable, type SchedulerLike, Subject } from "rxjs";
import { HookError } from "./hook-errors.js";
import type { HookEventMap } from "./hook-events.js";
import {
  FAILED,
  type HookEntry,
  type HookRunParts,
  invokeHook,
  isThenable,
} from "./hook-invoke.js";
import type {
  HookEventMapLike,
  HookFailure,
  HookFn,
  HookOptions,
  HookRegistryOptions,
  HookRunResult,
  HookStats,
} from "./hook-registry-types.js";
import type { HookExecution, HookTrigger } from "./hook-trigger.js";

/** A copy-on-write list: a run iterates the array it read, registration replaces it. */
interface EntryList {
  entries: readonly HookEntry[];
  sync: number;
}

interface TriggerIndex {
  readonly global: EntryList;
  readonly rooms: Map<string, EntryList>;
}

interface MutableStats {
  runs: number;
  blocked: number;
  modified: number;
  errors: number;
  timeouts: number;
}

/**
 * HookRegistry holds hooks per trigger and runs them (roomkit's hook engine).
 *
 * Order: sync hooks run one after another, higher `priority` first, equal priorities in
 * registration order; global and room hooks are merged into one order. `block` ends the chain,
 * `modify` hands the new event to the next hooks. After the decision every async hook is started
 * with the final event and `ctx.decision`; `run` does not wait for them (`idle()` does).
 *
 * Fail-open: a hook that throws, rejects, returns something that is no HookResult, or does not
 * settle within its timeout is skipped as if it had allowed; it is counted in `stats()` and
 * reported on `errors$`. A late result of a timed-out hook is ignored. Timeouts run on the
 * injected scheduler, so tests use virtual time.
 *
 * Index: hooks are kept per trigger as a global list and one list per room, so
 * `hasHooks(trigger, roomId)` is two map lookups: a hook of one room never slows another room
 * (roomkit keeps one global index). Global hooks apply to every room.
 */
export class HookRegistry<M extends HookEventMapLike = HookEventMap> {
  /** errors$ emits each hook failure (error or timeout). */
  readonly errors$: Observable<HookFailure>;
  private readonly scheduler: SchedulerLike;
  private readonly defaultTimeoutMs: number;
  private readonly index = new Map<HookTrigger, TriggerIndex>();
  private readonly errorSubject = new Subject<HookFailure>();
  private readonly total: MutableStats = newStats();
  private readonly perTrigger = new Map<HookTrigger, MutableStats>();
  private readonly inflight = new Set<PromiseLike<unknown>>();
  private seq = 0;
  /** hookParts are what each hook run needs: the clock for timeouts, where failures go. */
  private readonly hookParts: HookRunParts;

  constructor(options: HookRegistryOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.defaultTimeoutMs = checkTimeout(options.defaultTimeoutMs ?? 1000, "defaultTimeoutMs");
    this.errors$ = this.errorSubject.asObservable();
    this.hookParts = {
      scheduler: this.scheduler,
      fail: (entry, ctx, kind, error) => this.fail(entry, ctx.trigger, ctx.roomId, kind, error),
    };
  }

  /**
   * hook registers `fn` for `trigger` and returns a function that unregisters it (idempotent).
   * A hook unregistered while a run is under way is skipped if it has not run yet.
   */
  hook<T extends HookTrigger>(
    trigger: T,
    fn: HookFn<M[T], T>,
    options: HookOptions = {},
  ): () => void {
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) {
      throw new HookError("BAD_OPTION", `priority must be a finite number, got ${priority}`);
    }
    const seq = this.seq++;
    const entry: HookEntry = {
      seq,
      fn: fn as HookFn<unknown>,
      priority,
      timeoutMs: checkTimeout(options.timeoutMs ?? this.defaultTimeoutMs, "timeoutMs"),
      execution: options.execution ?? "sync",
      name: options.name ?? (fn.name !== "" ? fn.name : `hook#${seq}`),
      active: true,
    };
    let idx = this.index.get(trigger);
    if (idx === undefined) {
      idx = { global: { entries: [], sync: 0 }, rooms: new Map() };
      this.index.set(trigger, idx);
    }
    const roomId = options.roomId;
    let list: EntryList;
    if (roomId === undefined) list = idx.global;
    else {
      let room = idx.rooms.get(roomId);
      if (room === undefined) {
        room = { entries: [], sync: 0 };
        idx.rooms.set(roomId, room);
      }
      list = room;
    }
    insert(list, entry);
    const target = list;
    const rooms = idx.rooms;
    return () => {
      if (!entry.active) return;
      entry.active = false;
      target.entries = target.entries.filter((e) => e !== entry);
      if (entry.execution === "sync") target.sync--;
      if (roomId !== undefined && target.entries.length === 0 && rooms.get(roomId) === target) {
        rooms.delete(roomId);
      }
    };
  }

  /**
   * hasHooks tells in O(1) whether any hook applies to `trigger` in `roomId` (global hooks apply
   * to every room; without roomId only global hooks count). `execution` narrows to sync or async.
   */
  hasHooks(trigger: HookTrigger, roomId?: string, execution?: HookExecution): boolean {
    const idx = this.index.get(trigger);
    if (idx === undefined) return false;
    const room = roomId === undefined ? undefined : idx.rooms.get(roomId);
    return count(idx.global, execution) + (room === undefined ? 0 : count(room, execution)) > 0;
  }

  /** count is the number of hooks that apply to `trigger` in `roomId`. */
  count(trigger: HookTrigger, roomId?: string): number {
    const idx = this.index.get(trigger);
    if (idx === undefined) return 0;
    const room = roomId === undefined ? undefined : idx.rooms.get(roomId);
    return idx.global.entries.length + (room?.entries.length ?? 0);
  }

  /**
   * run runs the hooks of `trigger` for `event` in `roomId` (see the class comment for order and
   * failure rules) and resolves with the decision and the final event. It never rejects.
   */
  async run<T extends HookTrigger>(
    trigger: T,
    event: M[T],
    roomId?: string,
  ): Promise<HookRunResult<M[T]>> {
    const stats = this.statsFor(trigger);
    stats.runs++;
    this.total.runs++;
    const entries = this.entriesFor(trigger, roomId);
    let current: M[T] = event;
    let modified = false;
    for (const entry of entries) {
      if (!entry.active || entry.execution !== "sync") continue;
      const pending = invokeHook(entry, current, trigger, roomId, undefined, this.hookParts);
      const outcome = isThenable(pending) ? await pending : pending;
      if (outcome === FAILED || outcome.action === "allow") continue;
      if (outcome.action === "modify") {
        current = outcome.event as M[T];
        modified = true;
        continue;
      }
      stats.blocked++;
      this.total.blocked++;
      this.startAsync(trigger, entries, current, roomId, "block");
      return { allowed: false, event: current, reason: outcome.reason, blockedBy: entry.name };
    }
    if (modified) {
      stats.modified++;
      this.total.modified++;
    }
    this.startAsync(trigger, entries, current, roomId, "allow");
    return { allowed: true, event: current, modified };
  }

  /** idle resolves once every async hook started so far has settled (or timed out). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** stats returns the counters, in total or for one trigger. */
  stats(trigger?: HookTrigger): HookStats {
    const s = trigger === undefined ? this.total : (this.perTrigger.get(trigger) ?? newStats());
    return { ...s };
  }

  /** clear unregisters every hook. */
  clear(): void {
    for (const idx of this.index.values()) {
      for (const list of [idx.global, ...idx.rooms.values()]) {
        for (const e of list.entries) e.active = false;
      }
    }
    this.index.clear();
  }

  private entriesFor(trigger: HookTrigger, roomId: string | undefined): readonly HookEntry[] {
    const idx = this.index.get(trigger);
    if (idx === undefined) return [];
    const room = roomId === undefined ? undefined : idx.rooms.get(roomId);
    if (room === undefined || room.entries.length === 0) return idx.global.entries;
    if (idx.global.entries.length === 0) return room.entries;
    return merge(idx.global.entries, room.entries);
  }

  private startAsync<T extends HookTrigger>(
    trigger: T,
    entries: readonly HookEntry[],
    event: M[T],
    roomId: string | undefined,
    decision: "allow" | "block",
  ): void {
    for (const entry of entries) {
      if (!entry.active || entry.execution !== "async") continue;
      const pending = invokeHook(entry, event, trigger, roomId, decision, this.hookParts);
      if (!isThenable(pending)) continue;
      const done = Promise.resolve(pending).then(() => {
        this.inflight.delete(done);
      });
      this.inflight.add(done);
    }
  }

  private fail(
    entry: HookEntry,
    trigger: HookTrigger,
    roomId: string | undefined,
    kind: "error" | "timeout",
    error: unknown,
  ): void {
    const stats = this.statsFor(trigger);
    if (kind === "error") {
      stats.errors++;
      this.total.errors++;
    } else {
      stats.timeouts++;
      this.total.timeouts++;
    }
    this.errorSubject.next({
      trigger,
      roomId,
      name: entry.name,
      execution: entry.execution,
      kind,
      error,
    });
  }

  private statsFor(trigger: HookTrigger): MutableStats {
    let s = this.perTrigger.get(trigger);
    if (s === undefined) {
      s = newStats();
      this.perTrigger.set(trigger, s);
    }
    return s;
  }
}

function newStats(): MutableStats {
  return { runs: 0, blocked: 0, modified: 0, errors: 0, timeouts: 0 };
}

function checkTimeout(ms: number, name: string): number {
  if (!(ms > 0)) throw new HookError("BAD_OPTION", `${name} must be > 0 ms, got ${ms}`);
  return ms;
}

function count(list: EntryList, execution: HookExecution | undefined): number {
  if (execution === undefined) return list.entries.length;
  return execution === "sync" ? list.sync : list.entries.length - list.sync;
}

/** before orders entries: higher priority first, then registration order. */
function before(a: HookEntry, b: HookEntry): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function insert(list: EntryList, entry: HookEntry): void {
  const next = [...list.entries];
  let i = next.length;
  while (i > 0 && before(entry, next[i - 1]!)) i--;
  next.splice(i, 0, entry);
  list.entries = next;
  if (entry.execution === "sync") list.sync++;
}

function merge(a: readonly HookEntry[], b: readonly HookEntry[]): HookEntry[] {
  const out: HookEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (before(b[j]!, a[i]!)) out.push(b[j++]!);
    else out.push(a[i++]!);
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
