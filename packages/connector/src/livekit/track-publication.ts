import type { TrackKind, TrackSource } from "./enums.js";
import type { LocalTrack, RemoteTrack, Track } from "./track.js";

/** TrackPublicationInit is what a publication is made of (internal: the room makes them). */
export interface TrackPublicationInit {
  readonly sid: string;
  readonly name: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  readonly mimeType: string;
  readonly width?: number;
  readonly height?: number;
}

/** TrackPublication is LiveKit's published track: sid, kind, source, and the track once there is one. */
export abstract class TrackPublication {
  track?: Track | undefined;
  readonly #init: TrackPublicationInit;

  constructor(init: TrackPublicationInit) {
    this.#init = init;
  }

  get sid(): string | undefined {
    return this.#init.sid;
  }

  get name(): string | undefined {
    return this.#init.name;
  }

  get kind(): TrackKind | undefined {
    return this.#init.kind;
  }

  get source(): TrackSource | undefined {
    return this.#init.source;
  }

  get mimeType(): string | undefined {
    return this.#init.mimeType;
  }

  get width(): number | undefined {
    return this.#init.width;
  }

  get height(): number | undefined {
    return this.#init.height;
  }

  /** simulcasted is always false (one layer per source). */
  get simulcasted(): boolean | undefined {
    return false;
  }

  /** muted is always false: Framewire has no track mute. */
  get muted(): boolean | undefined {
    return false;
  }
}

/** LocalTrackPublication is a track the local participant publishes. */
export class LocalTrackPublication extends TrackPublication {
  declare track?: LocalTrack | undefined;
  readonly #subscribed: Promise<void>;

  /** @param firstSubscription resolves once another member is in the room to receive the track. */
  constructor(init: TrackPublicationInit, firstSubscription: Promise<void>) {
    super(init);
    this.#subscribed = firstSubscription;
  }

  /** waitForSubscription resolves once another member of the room receives the track. */
  waitForSubscription(): Promise<void> {
    return this.#subscribed;
  }
}

/**
 * RemoteTrackPublication is a remote participant's published track. `subscribed` says whether
 * the local participant takes it (then `track` is set); `setSubscribed` changes that (the room
 * emits `trackSubscribed` / `trackUnsubscribed`).
 */
export class RemoteTrackPublication extends TrackPublication {
  declare track?: RemoteTrack | undefined;
  subscribed = false;
  readonly #setSubscribed: (publication: RemoteTrackPublication, subscribed: boolean) => void;

  constructor(
    init: TrackPublicationInit,
    setSubscribed: (publication: RemoteTrackPublication, subscribed: boolean) => void,
  ) {
    super(init);
    this.#setSubscribed = setSubscribed;
  }

  /** setSubscribed subscribes to the track (`true`) or unsubscribes (its streams end as `unsubscribed`). */
  setSubscribed(subscribed: boolean): void {
    this.#setSubscribed(this, subscribed);
  }
}
