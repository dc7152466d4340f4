import type { BridgeFrameEvent, BridgeHooks, BridgeHookTrigger } from "@framewire/hooks";
import type { SchedulerLike } from "rxjs";

/**
 * FrameHookVerdict is what a bridge does with one frame once its BEFORE_BRIDGE_* hooks ran:
 * forward `frame` (the original or a hook's replacement), drop it (blocked), or forward the
 * original because the run failed (fail-open; `error` says why).
 */
export type FrameHookVerdict<F> =
  | { readonly kind: "forward"; readonly frame: F }
  | { readonly kind: "blocked"; readonly reason: string }
  | { readonly kind: "failed"; readonly error: unknown };

/**
 * FrameHooks is how both bridges use the one hook seam (`BridgeHooks` of `@framewire/hooks`) for
 * their trigger: whether frames of a room must wait for hooks, the run of one frame, and the
 * frames handed to observers on the fast path. The seam may throw or return garbage: a throwing
 * `hasHooks` counts as no hook, a failed run forwards the original frame (fail-open), and each
 * failure is reported to `onError` (the bridge's `hookErrors`).
 */
export class FrameHooks<T extends BridgeHookTrigger, S, F> {
  private readonly hooks: BridgeHooks<T, BridgeFrameEvent<S, F>> | undefined;
  private readonly trigger: T;
  private readonly scheduler: SchedulerLike;
  private readonly check: (frame: unknown) => void;
  private readonly onError: () => void;
  /** observes: the seam has observers to hand fast-path frames to. */
  private readonly observes: boolean;

  /** `check` throws when a hook's replacement is no frame. */
  constructor(
    hooks: BridgeHooks<T, BridgeFrameEvent<S, F>> | undefined,
    trigger: T,
    scheduler: SchedulerLike,
    check: (frame: unknown) => void,
    onError: () => void,
  ) {
    this.hooks = hooks;
    this.trigger = trigger;
    this.scheduler = scheduler;
    this.check = check;
    this.onError = onError;
    this.observes = hooks?.observe !== undefined;
  }

  /** decides tells whether a hook that decides applies to `roomId`, so its frames must wait for `run`. */
  decides(roomId: string): boolean {
    if (this.hooks === undefined) return false;
    try {
      return this.hooks.hasHooks(this.trigger, roomId) === true;
    } catch {
      this.onError();
      return false;
    }
  }

  /**
   * run runs the trigger for one frame and never rejects. The run must resolve a
   * `HookRunResult`, and a replaced frame must pass `check`; anything else (a rejection, a throw,
   * a result of another shape, a bad replacement) is a failed run.
   */
  async run(session: S, frame: F, roomId: string): Promise<FrameHookVerdict<F>> {
    const hooks = this.hooks;
    if (hooks === undefined) return { kind: "forward", frame };
    const event = { session, frame, roomId, timestamp: this.scheduler.now() };
    try {
      const result: unknown = await hooks.run(this.trigger, event, roomId);
      const r = (typeof result === "object" && result !== null ? result : {}) as {
        readonly allowed?: unknown;
        readonly reason?: unknown;
        readonly event?: { readonly frame?: unknown };
      };
      if (r.allowed === false) {
        return { kind: "blocked", reason: typeof r.reason === "string" ? r.reason : "blocked" };
      }
      if (r.allowed !== true) {
        throw new TypeError(`${this.trigger}: the hook run resolved no HookRunResult`);
      }
      const out = r.event?.frame;
      if (out !== frame) this.check(out);
      return { kind: "forward", frame: out as F };
    } catch (error) {
      this.onError();
      return { kind: "failed", error };
    }
  }

  /** observe hands a frame sent on the fast path to the hooks that only observe, if the room has any. */
  observe(session: S, frame: F, roomId: string): void {
    const hooks = this.hooks;
    if (!this.observes || hooks?.observe === undefined) return;
    try {
      if (hooks.hasObservers?.(this.trigger, roomId) !== true) return;
      hooks.observe(
        this.trigger,
        { session, frame, roomId, timestamp: this.scheduler.now() },
        roomId,
      );
    } catch {
      this.onError();
    }
  }
}
