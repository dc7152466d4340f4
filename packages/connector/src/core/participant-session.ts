import type { AudioPayloadType, KeyframeRequest, VideoCodec } from "@framewire/rtp-video";
import type { RoomSession } from "@framewire/video-bridge";
import { BehaviorSubject, NEVER, type Observable } from "rxjs";
import type { PublishedTracks, TrackKind } from "./remote-member.js";

/** PARTICIPANT_AUDIO_FORMAT is how a server-side participant's audio is bridged: L16 mono, 48 kHz. */
export const PARTICIPANT_AUDIO_FORMAT: AudioPayloadType = Object.freeze({
  payloadType: 96,
  codec: "l16",
  clockRate: 48000,
});

/**
 * ParticipantSession is a server-side participant's `RoomSession`: no RTP of its own, video per
 * subscribed source (`subscribesVideo`), audio per source too (`subscribesAudio`; what it
 * publishes is bridged as L16 48 kHz mono), and its published
 * video in `videoCodec`.
 */
export class ParticipantSession implements RoomSession {
  readonly id: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly channelId: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly videoCodec: VideoCodec;
  readonly audio = { sendFormat: PARTICIPANT_AUDIO_FORMAT } as const;
  /** keyframeRequests$: a participant asks for keyframes per subscription, never through this. */
  readonly keyframeRequests$: Observable<KeyframeRequest> = NEVER;
  readonly subscribesVideo = true;
  /** subscribesAudio: it takes audio per source (`AudioBridge.sourceAudio$`), never a mix or a forward. */
  readonly subscribesAudio = true;
  /** tracks$ emits what the participant publishes, now and at each change; completes when it leaves. */
  readonly tracks$: Observable<PublishedTracks>;
  readonly #tracks = new BehaviorSubject<PublishedTracks>({ video: false, audio: false });

  constructor(options: {
    readonly id: string;
    readonly roomId: string;
    readonly identity: string;
    readonly channelId: string;
    readonly videoCodec: VideoCodec;
    readonly metadata: Readonly<Record<string, unknown>>;
  }) {
    this.id = options.id;
    this.roomId = options.roomId;
    this.participantId = options.identity;
    this.channelId = options.channelId;
    this.videoCodec = options.videoCodec;
    this.metadata = options.metadata;
    this.tracks$ = this.#tracks.asObservable();
  }

  /** tracks is what the participant publishes now. */
  get tracks(): PublishedTracks {
    return this.#tracks.value;
  }

  /** setPublished records that a track is published (true) or not. */
  setPublished(kind: TrackKind, published: boolean): void {
    if (this.#tracks.closed || this.#tracks.value[kind] === published) return;
    this.#tracks.next({ ...this.#tracks.value, [kind]: published });
  }

  /** ended completes `tracks$`: the participant left. */
  ended(): void {
    this.#tracks.complete();
  }
}
