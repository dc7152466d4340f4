import type { StreamEndReason } from "./stream-end-reason.js";

/**
 * PullQueue is the bounded queue at the edge a consumer pulls from: `push` never blocks (a full
 * queue drops its oldest item; `trim` applies a stream's own rule first), `next` resolves the
 * oldest item, or `undefined` once the queue has ended and is empty. Concurrent `next` calls are served in call order. `end` keeps what is queued for the
 * consumer; nothing is accepted after it.
 */
export class PullQueue<T> {
  readonly capacity: number;
  #items: T[] = [];
  #waiters: ((item: T | undefined) => void)[] = [];
  #ended: StreamEndReason | undefined;
  #dropped = 0;
  /** ended resolves with the reason once `end` ran. */
  readonly ended: Promise<StreamEndReason>;
  #resolveEnded!: (reason: StreamEndReason) => void;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  /** size is the number of items queued. */
  get size(): number {
    return this.#items.length;
  }

  /** dropped counts the items dropped to make room, or by `clear`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** endReason is why the queue ended, or undefined while it is open. */
  get endReason(): StreamEndReason | undefined {
    return this.#ended;
  }

  /** items is a read-only view of what is queued, oldest first. */
  get items(): readonly T[] {
    return this.#items;
  }

  /**
   * push hands `item` to a waiting consumer or queues it; a full queue drops its oldest item
   * first (counted). Returns false after `end`.
   */
  push(item: T): boolean {
    if (this.#ended !== undefined) return false;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(item);
      return true;
    }
    if (this.#items.length >= this.capacity) {
      this.#items.shift();
      this.#dropped++;
    }
    this.#items.push(item);
    return true;
  }

  /** trim lets `drop` remove queued items in place (a stream's own rule); returns how many it removed. */
  trim(drop: (items: T[]) => void): number {
    const before = this.#items.length;
    drop(this.#items);
    const removed = before - this.#items.length;
    this.#dropped += removed;
    return removed;
  }

  /** next resolves the oldest item, or undefined once ended and empty. */
  next(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#ended !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** clear drops everything queued (counted) and returns how many. */
  clear(): number {
    const n = this.#items.length;
    this.#items = [];
    this.#dropped += n;
    return n;
  }

  /** end stops the queue with `reason` (the first reason wins); waiting consumers get undefined. */
  end(reason: StreamEndReason): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    this.#resolveEnded(reason);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
