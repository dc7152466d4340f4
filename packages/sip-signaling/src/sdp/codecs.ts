import type { VideoCodec } from "@framewire/rtp-video";
import {
  generateProfileLevelIdStringForAnswer,
  isSameProfile,
  parseProfileLevelId,
} from "h264-profile-level-id";
import type { AudioCodecName, RtcpFeedbackSet, RtpFormat, VideoCodecName } from "./sdp-types.js";

/** CodecInfo is the rtpmap of an audio codec: name as we write it, clock rate, channels. */
export interface CodecInfo {
  readonly encodingName: string;
  readonly clockRate: number;
  readonly channels: number;
}

/** AUDIO_CODECS maps our audio codec names to their rtpmap (RFC 3551 §6, RFC 7587 §7). */
export const AUDIO_CODECS: Readonly<Record<Exclude<AudioCodecName, "telephone-event">, CodecInfo>> =
  {
    PCMU: { encodingName: "PCMU", clockRate: 8000, channels: 1 },
    PCMA: { encodingName: "PCMA", clockRate: 8000, channels: 1 },
    opus: { encodingName: "opus", clockRate: 48000, channels: 2 },
  };

/** STATIC_AUDIO are RFC 3551 static payload types valid without an rtpmap. */
const STATIC_AUDIO: ReadonlyMap<number, AudioCodecName> = new Map([
  [0, "PCMU"],
  [8, "PCMA"],
]);

/** DEFAULT_H264_PROFILE_LEVEL_IDS: Constrained Baseline and Baseline, level 3.1. */
export const DEFAULT_H264_PROFILE_LEVEL_IDS: readonly string[] = ["42e01f", "42001f"];

/**
 * audioCodecOf names the audio codec of a format: by rtpmap (case-insensitive name and clock
 * rate; opus must be 48000 with 2 channels, RFC 7587 §7), else by static payload type 0 or 8.
 */
export function audioCodecOf(format: RtpFormat): AudioCodecName | undefined {
  if (format.encodingName === undefined) return STATIC_AUDIO.get(format.payloadType);
  const name = format.encodingName.toLowerCase();
  const channels = format.channels ?? 1;
  if (name === "pcmu" && format.clockRate === 8000 && channels === 1) return "PCMU";
  if (name === "pcma" && format.clockRate === 8000 && channels === 1) return "PCMA";
  if (name === "opus" && format.clockRate === 48000 && (format.channels ?? 2) === 2) return "opus";
  if (name === "telephone-event" && channels === 1) return "telephone-event";
  return undefined;
}

/**
 * VIDEO_CODEC_OF_NAME maps an SDP video encoding name to rtp-video's `VideoCodec`: the encoding
 * names stay at the SDP edge, everything a user reads (session, frame, metadata) is lowercase.
 */
export const VIDEO_CODEC_OF_NAME: Readonly<Record<VideoCodecName, VideoCodec>> = {
  H264: "h264",
  VP8: "vp8",
  VP9: "vp9",
};

/** videoCodecOf names the video codec of a format: H264, VP8 or VP9 at 90000 Hz. */
export function videoCodecOf(format: RtpFormat): VideoCodecName | undefined {
  if (format.clockRate !== 90000 || format.encodingName === undefined) return undefined;
  switch (format.encodingName.toUpperCase()) {
    case "H264":
      return "H264";
    case "VP8":
      return "VP8";
    case "VP9":
      return "VP9";
    default:
      return undefined;
  }
}

/**
 * h264PacketizationMode reads packetization-mode (RFC 6184 §8.1: absent means 0); modes other
 * than 0 and 1 (2 = interleaved) are unsupported and give undefined.
 */
export function h264PacketizationMode(format: RtpFormat): 0 | 1 | undefined {
  const mode = format.fmtp["packetization-mode"];
  if (mode === undefined || mode === "0") return 0;
  return mode === "1" ? 1 : undefined;
}

/** isValidProfileLevelId tells whether `id` is a profile-level-id h264-profile-level-id knows. */
export function isValidProfileLevelId(id: string): boolean {
  return /^[0-9a-fA-F]{6}$/.test(id) && parseProfileLevelId(id) !== undefined;
}

/** H264Answer is the profile-level-id to answer with, absent when the offer had none. */
export interface H264Answer {
  readonly profileLevelId?: string;
}

/**
 * answerH264Profile checks an offered H.264 format against our profile-level-ids: the profile
 * must be the same as one of ours (RFC 6184 §8.2.2; Baseline and Constrained Baseline are
 * different profiles), and the answer's level is the lower of the two (no level asymmetry).
 * When the offer has no profile-level-id, both sides use the default and the answer omits it
 * too. Returns undefined when no profile of ours matches or the offered id is invalid.
 */
export function answerH264Profile(
  offered: RtpFormat,
  localIds: readonly string[],
): H264Answer | undefined {
  const offeredId = offered.fmtp["profile-level-id"];
  if (offeredId !== undefined && !isValidProfileLevelId(offeredId)) return undefined;
  const remote = offeredId === undefined ? {} : { "profile-level-id": offeredId };
  for (const localId of localIds) {
    const local = { "profile-level-id": localId };
    if (!isSameProfile(local, remote)) continue;
    if (offeredId === undefined) return {};
    try {
      const answer = generateProfileLevelIdStringForAnswer(local, remote);
      if (answer !== undefined) return { profileLevelId: answer };
    } catch {
      // The library throws TypeError on a profile mismatch; isSameProfile ruled that out.
    }
  }
  return undefined;
}

/** isSameH264Profile tells whether two H.264 formats have the same profile (levels aside). */
export function isSameH264Profile(a: RtpFormat, b: RtpFormat): boolean {
  const ida = a.fmtp["profile-level-id"];
  const idb = b.fmtp["profile-level-id"];
  if (
    (ida !== undefined && !isValidProfileLevelId(ida)) ||
    (idb !== undefined && !isValidProfileLevelId(idb))
  ) {
    return false;
  }
  return isSameProfile(
    ida === undefined ? {} : { "profile-level-id": ida },
    idb === undefined ? {} : { "profile-level-id": idb },
  );
}

/** feedbackOf reads the nack, nack pli and ccm fir feedback a format declares (RFC 4585 §4.2). */
export function feedbackOf(format: RtpFormat): RtcpFeedbackSet {
  const has = (type: string, parameter?: string): boolean =>
    format.rtcpFeedback.some((fb) => fb.type === type && fb.parameter === parameter);
  return { nack: has("nack"), pli: has("nack", "pli"), fir: has("ccm", "fir") };
}

/** NO_FEEDBACK is the feedback set of audio streams. */
export const NO_FEEDBACK: RtcpFeedbackSet = { nack: false, pli: false, fir: false };
