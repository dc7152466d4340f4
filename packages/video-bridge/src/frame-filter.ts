/**
 * FrameFilter sees each frame of a source before anything else: it returns the frame (or a
 * replacement) to forward it, or null to drop it. It fails closed: a filter that throws, or
 * returns something that is no frame, drops the frame (counted in `filterErrors`).
 */
export type FrameFilter<S, F> = (source: S, frame: F) => F | null;

/** FilterFailure is what `runFilter` returns for a filter that failed; `error` says how. */
export class FilterFailure {
  /** error is what the filter threw, or the error saying its result is no frame. */
  readonly error: unknown;

  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * runFilter runs `filter` on one frame of `source` for a bridge: the frame to forward (the
 * filter's own result must pass `check`, which throws when it is no frame), null when the filter
 * dropped it, or a FilterFailure (counted in `counters.filterErrors`) when the filter failed,
 * which drops the frame too: the filter fails closed.
 */
export function runFilter<S, F>(
  filter: FrameFilter<S, F>,
  source: S,
  frame: F,
  check: (result: unknown) => void,
  counters: { filterErrors: number },
): F | null | FilterFailure {
  try {
    const out = filter(source, frame);
    // a filter's own frame must be a frame too (undefined is not null: a mistake)
    if (out !== frame && out !== null) check(out);
    return out;
  } catch (error) {
    counters.filterErrors++;
    return new FilterFailure(error);
  }
}
