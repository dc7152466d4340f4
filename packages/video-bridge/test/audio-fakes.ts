/** Fakes for the AudioBridge tests: sessions, a recording backend, frames, a hook runner. */
import { readFileSync } from "node:fs";
import type { BridgeAudioEvent, HookRunResult } from "@framewire/hooks";
import type { AudioCodec, AudioFrame, OutgoingAudio } from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import type { AudioBridgeBackend, AudioBridgeHooks } from "../src/audio-bridge-types.js";

/** FakeSession is a bridged session: only an id. */
export interface FakeSession {
  readonly id: string;
  readonly subscribesAudio?: boolean;
}

/** Sent is one sendAudio call. */
export interface Sent {
  readonly to: string;
  readonly audio: OutgoingAudio;
}

/** FakeAudioBackend records what it is asked to send; `onSend` may act (throw, remove sessions). */
export class FakeAudioBackend implements AudioBridgeBackend<FakeSession> {
  readonly sent: Sent[] = [];
  onSend: ((session: FakeSession, audio: OutgoingAudio) => boolean | undefined) | undefined;

  sendAudio(session: FakeSession, audio: OutgoingAudio): boolean {
    const result = this.onSend?.(session, audio);
    this.sent.push({ to: session.id, audio: { ...audio, data: audio.data.slice() } });
    return result ?? true;
  }

  /** to lists what was sent to one session. */
  to(id: string): OutgoingAudio[] {
    return this.sent.filter((s) => s.to === id).map((s) => s.audio);
  }
}

let seq = 0;

/** frame makes an AudioFrame. */
export function frame(
  codec: AudioCodec,
  data: Uint8Array,
  extra: Partial<Omit<AudioFrame, "codec" | "data">> = {},
): AudioFrame {
  seq++;
  return {
    codec,
    data,
    payloadType: extra.payloadType ?? (codec === "pcma" ? 8 : codec === "pcmu" ? 0 : 96),
    rtpTimestamp: extra.rtpTimestamp ?? seq * 160,
    timestampMs: extra.timestampMs ?? seq * 20,
    sequenceNumber: extra.sequenceNumber ?? seq & 0xffff,
    marker: extra.marker ?? false,
  };
}

/** dtmf makes an RFC 4733 payload: event, end bit, volume, duration. */
export function dtmf(event: number, end: boolean, duration: number): Uint8Array {
  return Uint8Array.of(event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
}

/** FakeAudioEvent is the BEFORE_BRIDGE_AUDIO event the audio bridge hands its hooks. */
export type FakeAudioEvent = BridgeAudioEvent<FakeSession, AudioFrame>;

/** FakeHooks is the audio bridge's hook seam, whose verdicts the test controls. */
export class FakeHooks implements AudioBridgeHooks<FakeSession> {
  readonly rooms = new Set<string>();
  readonly events: FakeAudioEvent[] = [];
  readonly triggers: string[] = [];
  decide: (event: FakeAudioEvent) => Promise<HookRunResult<FakeAudioEvent>> = async (e) =>
    allowed(e);

  hasHooks(trigger: string, roomId: string): boolean {
    this.triggers.push(trigger);
    return this.rooms.has(roomId);
  }

  run(_trigger: string, event: FakeAudioEvent): Promise<HookRunResult<FakeAudioEvent>> {
    this.events.push(event);
    return this.decide(event);
  }
}

/** allowed is a run result that lets `event` through (`modified` when it is another event). */
export function allowed(event: FakeAudioEvent, modified = false): HookRunResult<FakeAudioEvent> {
  return { allowed: true, event, modified };
}

/** blocked is a run result that blocks `event`. */
export function blocked(event: FakeAudioEvent, reason = "blocked"): HookRunResult<FakeAudioEvent> {
  return { allowed: false, event, reason, blockedBy: "fake" };
}

export { flushPromises } from "@framewire/test-support";

/** pcmuTone reads the repository fixture: 10 s of a 440 Hz tone as µ-law at 8 kHz. */
export function pcmuTone(): Uint8Array {
  return new Uint8Array(readFileSync(fixture("pcmu-tone.ulaw")));
}
