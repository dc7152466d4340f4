/** AudioCodec names the audio payloads Framewire carries (RFC 3551, RFC 7587, RFC 4733). */
export type AudioCodec = "pcmu" | "pcma" | "opus" | "telephone-event" | "l16";

/** AudioFrame is one audio RTP payload: G.711 and Opus send one frame per packet. */
export interface AudioFrame {
  /** codec of `data`, from the session's payload type map. */
  readonly codec: AudioCodec;
  /** payloadType the frame was carried with. */
  readonly payloadType: number;
  /** data is the payload (G.711 bytes, an Opus packet, an RFC 4733 event). */
  readonly data: Uint8Array;
  /** rtpTimestamp is the 32-bit RTP timestamp. */
  readonly rtpTimestamp: number;
  /** timestampMs is relative to the stream's first packet, from the clock rate. */
  readonly timestampMs: number;
  /** sequenceNumber is the RTP sequence number. */
  readonly sequenceNumber: number;
  /** marker is the M bit: the start of a talkspurt, or of an RFC 4733 event. */
  readonly marker: boolean;
}

/** AudioPayloadType maps an RTP payload type to a codec and its clock rate. */
export interface AudioPayloadType {
  readonly payloadType: number;
  readonly codec: AudioCodec;
  readonly clockRate: number;
}

/** DEFAULT_AUDIO_PAYLOAD_TYPES are the static and usual dynamic audio payload types. */
export const DEFAULT_AUDIO_PAYLOAD_TYPES: readonly AudioPayloadType[] = [
  { payloadType: 0, codec: "pcmu", clockRate: 8000 },
  { payloadType: 8, codec: "pcma", clockRate: 8000 },
  { payloadType: 101, codec: "telephone-event", clockRate: 8000 },
  { payloadType: 111, codec: "opus", clockRate: 48000 },
];
