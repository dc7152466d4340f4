import type { AudioFrame, VideoFrame } from "@framewire/rtp-video";
import type { ChannelBackend, RoomSession } from "@framewire/video-bridge";
import { type Observable, Subject } from "rxjs";

/** ParticipantLink is what the backend calls on a participant of its own. */
export interface ParticipantLink {
  /** keyframeRequested: a member of the room asked for a keyframe of the participant's video. */
  keyframeRequested(): void;
  /** ended: the kit ended the participant's session (leave, close, or the room's end). */
  ended(): void;
}

/**
 * ConnectorBackend is the in-process `ChannelBackend` of a Connector's participants: what they
 * publish comes out of `videoReceived$` / `audioReceived$`, keyframe requests and the end of a
 * session go back to the participant. Video to a participant flows through its per-source
 * subscriptions (`VideoBridge.subscribe`), audio through `AudioBridge.sourceAudio$`, so what the
 * bridges send through `sendVideoSync` / `sendAudio` (the one selected stream an RTP endpoint
 * gets) is not used and only counted.
 */
export class ConnectorBackend implements ChannelBackend {
  readonly videoReceived$: Observable<{ session: RoomSession; frame: VideoFrame }>;
  readonly audioReceived$: Observable<{ session: RoomSession; frame: AudioFrame }>;
  readonly disconnected$: Observable<RoomSession>;
  readonly #video = new Subject<{ session: RoomSession; frame: VideoFrame }>();
  readonly #audio = new Subject<{ session: RoomSession; frame: AudioFrame }>();
  readonly #ended = new Subject<RoomSession>();
  readonly #links = new Map<string, { session: RoomSession; link: ParticipantLink }>();
  #unusedSends = 0;

  constructor() {
    this.videoReceived$ = this.#video.asObservable();
    this.audioReceived$ = this.#audio.asObservable();
    this.disconnected$ = this.#ended.asObservable();
  }

  /** attach registers a participant's session before it joins. */
  attach(session: RoomSession, link: ParticipantLink): void {
    this.#links.set(session.id, { session, link });
  }

  /** publishVideo hands one frame the participant publishes to the room's video bridge. */
  publishVideo(session: RoomSession, frame: VideoFrame): void {
    if (this.#links.has(session.id)) this.#video.next({ session, frame });
  }

  /** publishAudio hands one audio frame the participant publishes to the room's audio bridge. */
  publishAudio(session: RoomSession, frame: AudioFrame): void {
    if (this.#links.has(session.id)) this.#audio.next({ session, frame });
  }

  /** end ends a participant's session from its side (it left): the kit unbinds it. */
  end(session: RoomSession): void {
    if (!this.#links.delete(session.id)) return;
    this.#ended.next(session);
  }

  /** unusedSends counts bridge sends to participants (they take media per source instead). */
  get unusedSends(): number {
    return this.#unusedSends;
  }

  /** sessions is how many participant sessions are attached. */
  get sessions(): number {
    return this.#links.size;
  }

  sendVideoSync(): number {
    this.#unusedSends++;
    return 0;
  }

  sendAudio(): boolean {
    this.#unusedSends++;
    return true;
  }

  requestKeyframe(session: RoomSession): void {
    this.#links.get(session.id)?.link.keyframeRequested();
  }

  disconnect(session: RoomSession | string): void {
    const id = typeof session === "string" ? session : session.id;
    const entry = this.#links.get(id);
    if (entry === undefined) return;
    this.#links.delete(id);
    entry.link.ended();
  }
}
