import { SipSignalingError } from "../errors.js";
import {
  AUDIO_CODECS,
  audioCodecOf,
  feedbackOf,
  h264PacketizationMode,
  isSameH264Profile,
  NO_FEEDBACK,
  videoCodecOf,
} from "./codecs.js";
import { intersectDirection, mirrorDirection } from "./direction.js";
import { remoteEndpoint, streamProblem } from "./media-endpoint.js";
import { noAcceptableAudio } from "./no-acceptable-audio.js";
import { parseSessionDescription } from "./parse-session-description.js";
import { fidSsrcs, rtxFormatFor } from "./rtx.js";
import type {
  NegotiatedMedia,
  NegotiatedRtx,
  NegotiatedSession,
  ParsedMedia,
  ParsedSessionDescription,
  RejectedMedia,
  RejectReason,
  RtpFormat,
} from "./sdp-types.js";
import { spropFields } from "./sprop-parameter-sets.js";

const mismatch = (message: string): SipSignalingError =>
  new SipSignalingError("SDP_ANSWER_MISMATCH", message);

/**
 * parseAnswer reads the answer to an offer we sent (RFC 3264 §6) and says what was agreed. The
 * answer must have one m-line per offered m-line, same media and transport, in the same order,
 * else `SDP_ANSWER_MISMATCH`. In each accepted stream the codec is the first answered format
 * that we offered with the same payload type and codec (H.264: same packetization-mode and
 * profile); answered formats we did not offer are ignored (RFC 3264 §6.1 lets the answerer
 * list them). A rejected (port 0) or unusable m=video means an audio-only call; no usable
 * audio throws `SDP_NO_ACCEPTABLE_AUDIO` (hang up). The answerer's H.264
 * `sprop-parameter-sets` come out as in `negotiateAnswer`. RTX (RFC 4588) is agreed, in
 * `video.rtx`, when the answer has an RTX format for the codec that we offered with the same
 * payload type and `apt`, and both sides have nack.
 */
export function parseAnswer(
  offerWeSent: ParsedSessionDescription | string,
  answerText: ParsedSessionDescription | string,
): NegotiatedSession {
  const offer =
    typeof offerWeSent === "string" ? parseSessionDescription(offerWeSent) : offerWeSent;
  const answer = typeof answerText === "string" ? parseSessionDescription(answerText) : answerText;
  if (answer.media.length !== offer.media.length) {
    throw mismatch(
      `the answer has ${answer.media.length} m-lines for ${offer.media.length} offered ` +
        "(RFC 3264 §6: one per offered m-line)",
    );
  }
  const rejected: RejectedMedia[] = [];
  let audio: NegotiatedMedia | undefined;
  let video: NegotiatedMedia | undefined;
  for (let i = 0; i < offer.media.length; i++) {
    const ours = offer.media[i]!;
    const theirs = answer.media[i]!;
    if (ours.media.toLowerCase() !== theirs.media.toLowerCase()) {
      throw mismatch(
        `m-line ${i + 1} is ${theirs.media} in the answer, ${ours.media} in the offer (RFC 3264 §6)`,
      );
    }
    if (theirs.port !== 0 && ours.proto.toUpperCase() !== theirs.proto.toUpperCase()) {
      throw mismatch(
        `m-line ${i + 1} answers ${theirs.proto} to an offered ${ours.proto} (RFC 3264 §6)`,
      );
    }
    const outcome = readStream(ours, theirs, audio !== undefined, video !== undefined);
    if (typeof outcome === "string") {
      rejected.push({ index: i, media: theirs.media, reason: outcome });
    } else if (outcome.kind === "audio") {
      audio = outcome;
    } else {
      video = outcome;
    }
  }
  if (audio === undefined) {
    throw noAcceptableAudio(rejected, (why) => `the answer accepts no audio stream (${why})`);
  }
  return { audio, ...(video === undefined ? {} : { video }), rejected };
}

function readStream(
  ours: ParsedMedia,
  theirs: ParsedMedia,
  haveAudio: boolean,
  haveVideo: boolean,
): NegotiatedMedia | RejectReason {
  if (ours.port === 0 || theirs.port === 0) return "port-zero";
  if (ours.kind === "other") return "unsupported-media";
  if (ours.kind === "audio" ? haveAudio : haveVideo) return "duplicate";
  const problem = streamProblem(theirs);
  if (problem !== undefined) return problem;
  const pick = ours.kind === "audio" ? pickAudio(ours, theirs) : pickVideo(ours, theirs);
  if (pick === undefined) return "no-common-codec";
  const { answered, offered } = pick;
  const rtcpMux = ours.rtcpMux && theirs.rtcpMux;
  const feedback =
    ours.kind === "audio"
      ? NO_FEEDBACK
      : {
          nack: feedbackOf(offered).nack && feedbackOf(answered).nack,
          pli: feedbackOf(offered).pli && feedbackOf(answered).pli,
          fir: feedbackOf(offered).fir && feedbackOf(answered).fir,
        };
  const rtx =
    ours.kind === "video" && feedback.nack
      ? agreedRtx(ours, theirs, answered.payloadType)
      : undefined;
  return {
    kind: ours.kind,
    index: theirs.index,
    ...(theirs.mid === undefined ? {} : { mid: theirs.mid }),
    payloadType: answered.payloadType,
    codec: pick.codec,
    clockRate: pick.clockRate,
    channels: pick.channels,
    fmtp: answered.fmtp,
    localFmtp: offered.fmtp,
    ...(pick.packetizationMode === undefined ? {} : { packetizationMode: pick.packetizationMode }),
    ...(pick.codec === "H264" ? spropFields(answered.fmtp) : {}),
    ...(pick.telephoneEventPt === undefined ? {} : { telephoneEventPt: pick.telephoneEventPt }),
    ...(theirs.ptime === undefined ? {} : { ptime: theirs.ptime }),
    ...remoteEndpoint(theirs, theirs.connection!, rtcpMux),
    rtcpMux,
    direction: intersectDirection(ours.direction, mirrorDirection(theirs.direction)),
    feedback,
    ...(rtx === undefined ? {} : { rtx }),
  };
}

/** agreedRtx is the answered RTX format for `pt` that we offered alike (RFC 4588 §8.1). */
function agreedRtx(ours: ParsedMedia, theirs: ParsedMedia, pt: number): NegotiatedRtx | undefined {
  const answered = rtxFormatFor(theirs, pt);
  if (answered === undefined) return undefined;
  const offered = rtxFormatFor(ours, pt);
  if (offered === undefined || offered.payloadType !== answered.payloadType) return undefined;
  const remoteSsrcs = fidSsrcs(theirs);
  return {
    payloadType: answered.payloadType,
    apt: pt,
    ...(remoteSsrcs === undefined ? {} : { remoteSsrcs }),
  };
}

interface Pick {
  readonly answered: RtpFormat;
  readonly offered: RtpFormat;
  readonly codec: NegotiatedMedia["codec"];
  readonly clockRate: number;
  readonly channels: number;
  readonly packetizationMode?: 0 | 1;
  readonly telephoneEventPt?: number;
}

const offeredFormat = (ours: ParsedMedia, pt: number): RtpFormat | undefined =>
  ours.rtpFormats.find((f) => f.payloadType === pt);

function pickAudio(ours: ParsedMedia, theirs: ParsedMedia): Pick | undefined {
  for (const answered of theirs.rtpFormats) {
    const codec = audioCodecOf(answered);
    if (codec === undefined || codec === "telephone-event") continue;
    const offered = offeredFormat(ours, answered.payloadType);
    if (offered === undefined || audioCodecOf(offered) !== codec) continue;
    const info = AUDIO_CODECS[codec];
    const events = theirs.rtpFormats.find((f) => {
      if (audioCodecOf(f) !== "telephone-event" || f.clockRate !== info.clockRate) return false;
      const o = offeredFormat(ours, f.payloadType);
      return (
        o !== undefined && audioCodecOf(o) === "telephone-event" && o.clockRate === f.clockRate
      );
    });
    return {
      answered,
      offered,
      codec,
      clockRate: info.clockRate,
      channels: info.channels,
      ...(events === undefined ? {} : { telephoneEventPt: events.payloadType }),
    };
  }
  return undefined;
}

function pickVideo(ours: ParsedMedia, theirs: ParsedMedia): Pick | undefined {
  for (const answered of theirs.rtpFormats) {
    const codec = videoCodecOf(answered);
    if (codec === undefined) continue;
    const offered = offeredFormat(ours, answered.payloadType);
    if (offered === undefined || videoCodecOf(offered) !== codec) continue;
    if (codec !== "H264") return { answered, offered, codec, clockRate: 90000, channels: 1 };
    const mode = h264PacketizationMode(answered);
    if (mode === undefined || mode !== h264PacketizationMode(offered)) continue;
    if (!isSameH264Profile(offered, answered)) continue;
    return { answered, offered, codec, clockRate: 90000, channels: 1, packetizationMode: mode };
  }
  return undefined;
}
