import type { AudioFrame } from "@framewire/rtp-video";

/**
 * checkAudioFrame throws a TypeError naming `where` when `value` is no AudioFrame the audio
 * bridge can forward (`data` a Uint8Array, a `codec`, numeric `payloadType` and `rtpTimestamp`,
 * a boolean `marker`). The bridge checks what its filter and hooks hand back with it: a bad
 * result counts as that callback failing.
 */
export function checkAudioFrame(value: unknown, where: string): asserts value is AudioFrame {
  const f = (typeof value === "object" && value !== null ? value : {}) as Partial<
    Record<keyof AudioFrame, unknown>
  >;
  if (
    !(f.data instanceof Uint8Array) ||
    typeof f.codec !== "string" ||
    typeof f.payloadType !== "number" ||
    typeof f.rtpTimestamp !== "number" ||
    typeof f.marker !== "boolean"
  ) {
    throw new TypeError(`${where} is no AudioFrame`);
  }
}
