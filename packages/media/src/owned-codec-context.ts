import type { CodecContext } from "node-av";
import { MediaError } from "./media-error.js";
import { countNative, type NativeCounts } from "./native-counts.js";

/** NativeResource is a node-av object freed with `free()` (a Packet, a Frame, a resample context). */
export interface NativeResource {
  free(): void;
}

/**
 * OwnedCodecContext owns an open codec context and the native objects used with it, for the
 * codec's lifetime (node-av's safety rules, see the README): async calls on the context run one
 * at a time in call order; a call after `close()` rejects with `INVALID_STATE`; a failed call does
 * not stop the ones queued after it; `close()` waits for pending calls, then frees the context and
 * every resource, once, and keeps `nativeCounts()` true.
 */
export class OwnedCodecContext {
  #ctx: CodecContext | null;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /**
   * @param what - what the context is, for messages ("the decoder").
   * @param kind - the `nativeCounts()` entry it counts in.
   * @param resources - the native objects freed with it.
   */
  constructor(
    ctx: CodecContext,
    private readonly what: string,
    private readonly kind: keyof NativeCounts,
    private readonly resources: readonly NativeResource[],
  ) {
    this.#ctx = ctx;
    countNative(kind, 1);
  }

  /** closed is true once `close()` was called. */
  get closed(): boolean {
    return this.#ctx === null;
  }

  /** idle is true when no call is queued or running (the native objects are not in use). */
  get idle(): boolean {
    return this.#pending === 0;
  }

  /** run queues `fn` on the context. */
  run<T>(fn: (ctx: CodecContext) => Promise<T>): Promise<T> {
    const ctx = this.#ctx;
    if (ctx === null)
      return Promise.reject(new MediaError("INVALID_STATE", `${this.what} is closed`));
    this.#pending++;
    const run = this.#tail.then(() => fn(ctx)).finally(() => this.#pending--);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** close frees the context and the resources after pending calls; true the first time only. */
  async close(): Promise<boolean> {
    const ctx = this.#ctx;
    if (ctx === null) return false;
    this.#ctx = null;
    await this.#tail;
    ctx.freeContext();
    for (const r of this.resources) r.free();
    countNative(this.kind, -1);
    return true;
  }
}
