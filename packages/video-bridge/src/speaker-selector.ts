/**
 * SpeakerHistory is a room's speakers, most recent first (the composition drives it from audio
 * levels through `VideoBridge.setActiveSpeaker`). Keeping the order, not just the current
 * speaker, lets the current speaker see the previous one.
 */
export class SpeakerHistory {
  private order: readonly string[] = [];
  private current: string | null = null;

  /** active is the current speaker, or null after `setActive(null)`. */
  get active(): string | null {
    return this.current;
  }

  /** speakers lists the speakers, most recent first (a null speaker keeps the order). */
  get speakers(): readonly string[] {
    return this.order;
  }

  /** setActive makes `id` the current speaker (first in the order); null means nobody speaks. */
  setActive(id: string | null): void {
    this.current = id;
    if (id === null || this.order[0] === id) return;
    this.order = [id, ...this.order.filter((s) => s !== id)];
  }

  /** remove forgets a session that left. */
  remove(id: string): void {
    this.order = this.order.filter((s) => s !== id);
    if (this.current === id) this.current = null;
  }
}

/** SelectionInput is what `selectSource` decides from. */
export interface SelectionInput<P extends { readonly id: string }> {
  /** target receives the source. */
  readonly target: P;
  /** members of the room in join order (the target among them). */
  readonly members: readonly P[];
  /** speakers most recent first (ids). */
  readonly speakers: readonly string[];
  /** pinnedId is what the target pinned, or null. */
  readonly pinnedId: string | null;
  /** current is the source the target receives now. */
  readonly current: P | undefined;
  /** eligible says whether a source can feed the target now (sending, same codec, not itself). */
  readonly eligible: (source: P) => boolean;
}

/**
 * selectSource picks the one source a target should receive: the pinned source, else the most
 * recent speaker other than the target, else the source it receives now (no needless switch),
 * else the first member in join order; each only if eligible. So the speaker sees the previous
 * speaker, and when only one participant sends, every other participant receives it.
 */
export function selectSource<P extends { readonly id: string }>(
  input: SelectionInput<P>,
): P | undefined {
  const { target, members, eligible } = input;
  const byId = (id: string): P | undefined => {
    for (const m of members) if (m.id === id) return m;
    return undefined;
  };
  const ok = (p: P | undefined): p is P => p !== undefined && p !== target && eligible(p);
  if (input.pinnedId !== null) {
    const pinned = byId(input.pinnedId);
    if (ok(pinned)) return pinned;
  }
  for (const id of input.speakers) {
    if (id === target.id) continue;
    const speaker = byId(id);
    if (ok(speaker)) return speaker;
  }
  if (ok(input.current)) return input.current;
  for (const m of members) if (ok(m)) return m;
  return undefined;
}
