import type { ConnectionQuality, ConnectionState, DisconnectReason } from "./enums.js";
import type { LocalParticipant, Participant, RemoteParticipant } from "./participant.js";
import type { RemoteTrack } from "./track.js";
import type {
  LocalTrackPublication,
  RemoteTrackPublication,
  TrackPublication,
} from "./track-publication.js";

/**
 * RoomEvent names the room's events with LiveKit's string values. A Framewire room emits
 * Connected, Disconnected, ConnectionStateChanged, ParticipantConnected/Disconnected,
 * TrackPublished/Unpublished, TrackSubscribed/Unsubscribed, TrackSubscriptionFailed,
 * LocalTrackPublished/Unpublished and DtmfReceived; the others exist so that listeners for them
 * type-check, and never fire.
 */
export enum RoomEvent {
  ParticipantConnected = "participantConnected",
  ParticipantDisconnected = "participantDisconnected",
  LocalTrackPublished = "localTrackPublished",
  LocalTrackUnpublished = "localTrackUnpublished",
  LocalTrackRepublished = "localTrackRepublished",
  LocalTrackSubscribed = "localTrackSubscribed",
  TrackPublished = "trackPublished",
  TrackUnpublished = "trackUnpublished",
  TrackSubscribed = "trackSubscribed",
  TrackUnsubscribed = "trackUnsubscribed",
  TrackSubscriptionFailed = "trackSubscriptionFailed",
  TrackMuted = "trackMuted",
  TrackUnmuted = "trackUnmuted",
  ActiveSpeakersChanged = "activeSpeakersChanged",
  RoomMetadataChanged = "roomMetadataChanged",
  RoomSidChanged = "roomSidChanged",
  ParticipantMetadataChanged = "participantMetadataChanged",
  ParticipantNameChanged = "participantNameChanged",
  ParticipantAttributesChanged = "participantAttributesChanged",
  ParticipantEncryptionStatusChanged = "participantEncryptionStatusChanged",
  ConnectionQualityChanged = "connectionQualityChanged",
  DataReceived = "dataReceived",
  ChatMessage = "chatMessage",
  DtmfReceived = "dtmfReceived",
  EncryptionError = "encryptionError",
  ConnectionStateChanged = "connectionStateChanged",
  Connected = "connected",
  Disconnected = "disconnected",
  Reconnecting = "reconnecting",
  Reconnected = "reconnected",
  RoomUpdated = "roomUpdated",
  Moved = "moved",
  TokenRefreshed = "tokenRefreshed",
}

/** ChatMessage is LiveKit's chat message (the type only: a Framewire room has no chat). */
export interface ChatMessage {
  id: string;
  timestamp: number;
  message: string;
  editTimestamp?: number;
  generated?: boolean;
}

/** RoomCallbacks are the room's listeners by event (LiveKit's signatures, for the events a Framewire room has). */
export type RoomCallbacks = {
  participantConnected: (participant: RemoteParticipant) => void;
  participantDisconnected: (participant: RemoteParticipant) => void;
  localTrackPublished: (publication: LocalTrackPublication, participant: LocalParticipant) => void;
  localTrackUnpublished: (
    publication: LocalTrackPublication,
    participant: LocalParticipant,
  ) => void;
  localTrackRepublished: (
    publication: LocalTrackPublication,
    previousSid: string,
    participant: LocalParticipant,
  ) => void;
  localTrackSubscribed: (track: LocalTrackPublication["track"]) => void;
  trackPublished: (publication: RemoteTrackPublication, participant: RemoteParticipant) => void;
  trackUnpublished: (publication: RemoteTrackPublication, participant: RemoteParticipant) => void;
  trackSubscribed: (
    track: RemoteTrack,
    publication: RemoteTrackPublication,
    participant: RemoteParticipant,
  ) => void;
  trackUnsubscribed: (
    track: RemoteTrack,
    publication: RemoteTrackPublication,
    participant: RemoteParticipant,
  ) => void;
  trackSubscriptionFailed: (
    trackSid: string,
    participant: RemoteParticipant,
    reason?: string,
  ) => void;
  trackMuted: (publication: TrackPublication, participant: Participant) => void;
  trackUnmuted: (publication: TrackPublication, participant: Participant) => void;
  activeSpeakersChanged: (speakers: Participant[]) => void;
  roomMetadataChanged: (metadata: string) => void;
  participantMetadataChanged: (metadata: string | undefined, participant: Participant) => void;
  participantNameChanged: (name: string, participant: Participant) => void;
  participantAttributesChanged: (
    changedAttributes: Record<string, string>,
    participant: Participant,
  ) => void;
  participantEncryptionStatusChanged: (isEncrypted: boolean, participant: Participant) => void;
  connectionQualityChanged: (quality: ConnectionQuality, participant: Participant) => void;
  dataReceived: (payload: Uint8Array, participant?: RemoteParticipant) => void;
  chatMessage: (message: ChatMessage, participant?: Participant) => void;
  /** dtmfReceived: a SIP caller sent an RFC 4733 telephone event (once per event, at its end). */
  dtmfReceived: (code: number, digit: string, participant: RemoteParticipant) => void;
  encryptionError: (error: Error) => void;
  connectionStateChanged: (state: ConnectionState) => void;
  connected: () => void;
  disconnected: (reason: DisconnectReason) => void;
  reconnecting: () => void;
  reconnected: () => void;
  roomSidChanged: (sid: string) => void;
  roomUpdated: () => void;
  moved: () => void;
  tokenRefreshed: () => void;
};
