import {
  AUDIO_CODECS,
  answerH264Profile,
  audioCodecOf,
  feedbackOf,
  h264PacketizationMode,
  NO_FEEDBACK,
  videoCodecOf,
} from "./codecs.js";
import { intersectDirection, mirrorDirection } from "./direction.js";
import { fmtpRecord, formatFmtpParams } from "./fmtp.js";
import { checkLocalOptions, type LocalSide } from "./local-options.js";
import { remoteEndpoint, streamProblem } from "./media-endpoint.js";
import { noAcceptableAudio } from "./no-acceptable-audio.js";
import { parseSessionDescription } from "./parse-session-description.js";
import { fidSsrcs, rtxAttributes, rtxFormatFor, ssrcAttributes } from "./rtx.js";
import { feedbackAttributes, rtpmapAttribute, TELEPHONE_EVENTS } from "./sdp-attributes.js";
import type {
  NegotiatedMedia,
  ParsedMedia,
  ParsedSessionDescription,
  RejectedMedia,
  RejectReason,
  RtpFormat,
  SdpAnswer,
  SdpLocalOptions,
  VideoCodecName,
} from "./sdp-types.js";
import { spropFields } from "./sprop-parameter-sets.js";
import { type MediaSection, writeSessionDescription } from "./write-session-description.js";

interface Accepted {
  readonly section: MediaSection;
  readonly negotiated: NegotiatedMedia;
}

type Outcome = Accepted | { readonly reason: RejectReason };

/**
 * negotiateAnswer answers an SDP offer (RFC 3264 §6): one m-line per offered m-line, in the
 * offer's order. Audio takes the first codec of `local.audioCodecs` the offer has (plus
 * telephone-event at the same clock rate when both sides list it); video takes the first of
 * `local.videoCodecs` the offer has, H.264 only with packetization-mode 0 or 1 and a profile of
 * `local.h264ProfileLevelIds` (mode 1 preferred). Directions are mirrored, rtcp-mux and the
 * nack / nack pli / ccm fir feedback are echoed when offered; with `local.videoRtx`, an offered
 * RTX format whose `apt` is the chosen codec is answered too (RFC 4588 §8.1; only with nack,
 * which it answers) and comes out in `video.rtx`, with the offerer's `a=ssrc-group:FID`. A stream we cannot take (port 0,
 * other media, other transport, no common codec, a second audio or video) is answered with
 * port 0; a video failure leaves the call audio-only. The offerer's H.264 `sprop-parameter-sets`
 * come out decoded in `video.parameterSets` (or, when malformed, `video.parameterSetsIgnored`). With no usable audio it throws
 * `SDP_NO_ACCEPTABLE_AUDIO` (answer 488); a bad offer throws `SDP_MALFORMED`/`SDP_TOO_LARGE`.
 */
export function negotiateAnswer(
  offer: ParsedSessionDescription | string,
  local: SdpLocalOptions,
): SdpAnswer {
  const side = checkLocalOptions(local);
  const parsed = typeof offer === "string" ? parseSessionDescription(offer) : offer;
  const sections: MediaSection[] = [];
  const rejected: RejectedMedia[] = [];
  let audio: NegotiatedMedia | undefined;
  let video: NegotiatedMedia | undefined;
  for (const m of parsed.media) {
    const outcome = answerMedia(m, side, audio !== undefined, video !== undefined);
    if ("reason" in outcome) {
      rejected.push({ index: m.index, media: m.media, reason: outcome.reason });
      sections.push(rejectedSection(m));
    } else {
      sections.push(outcome.section);
      if (outcome.negotiated.kind === "audio") audio = outcome.negotiated;
      else video = outcome.negotiated;
    }
  }
  if (audio === undefined) {
    throw noAcceptableAudio(
      rejected,
      (why) => `no acceptable audio stream (${why}); answer 488 (RFC 3261 §13.3.1.4)`,
    );
  }
  const sdp = writeSessionDescription(side, sections);
  return { sdp, audio, ...(video === undefined ? {} : { video }), rejected };
}

function answerMedia(
  m: ParsedMedia,
  side: LocalSide,
  haveAudio: boolean,
  haveVideo: boolean,
): Outcome {
  if (m.kind === "other") return { reason: m.port === 0 ? "port-zero" : "unsupported-media" };
  if (m.port === 0) return { reason: "port-zero" };
  if (m.kind === "audio") {
    if (haveAudio) return { reason: "duplicate" };
    return answerAudio(m, side);
  }
  if (side.videoPort === 0 || side.videoCodecs.length === 0) return { reason: "video-disabled" };
  if (haveVideo) return { reason: "duplicate" };
  return answerVideo(m, side);
}

/** rejectedSection echoes an m-line with port 0 and its first format (RFC 3264 §6). */
function rejectedSection(m: ParsedMedia): MediaSection {
  return {
    media: m.media,
    port: 0,
    proto: m.proto,
    formats: [m.formats[0]!],
    attributes: m.mid === undefined ? [] : [`mid:${m.mid}`],
  };
}

function answerAudio(m: ParsedMedia, side: LocalSide): Outcome {
  const problem = streamProblem(m);
  if (problem !== undefined) return { reason: problem };
  let format: RtpFormat | undefined;
  let codec: keyof typeof AUDIO_CODECS | undefined;
  for (const want of side.audioCodecs) {
    if (want === "telephone-event") continue;
    format = m.rtpFormats.find((f) => audioCodecOf(f) === want);
    if (format !== undefined) {
      codec = want;
      break;
    }
  }
  if (format === undefined || codec === undefined) return { reason: "no-common-codec" };
  const info = AUDIO_CODECS[codec];
  const events = side.audioCodecs.includes("telephone-event")
    ? m.rtpFormats.find(
        (f) => audioCodecOf(f) === "telephone-event" && f.clockRate === info.clockRate,
      )
    : undefined;
  const direction = intersectDirection(mirrorDirection(m.direction), side.audioDirection);
  const pt = format.payloadType;
  const attributes = [rtpmapAttribute(pt, info.encodingName, info.clockRate, info.channels)];
  const formats = [pt];
  if (events !== undefined) {
    formats.push(events.payloadType);
    attributes.push(
      rtpmapAttribute(events.payloadType, "telephone-event", info.clockRate),
      `fmtp:${events.payloadType} ${TELEPHONE_EVENTS}`,
    );
  }
  attributes.push(...commonAttributes(m), direction);
  const connection = m.connection!;
  return {
    section: { media: m.media, port: side.audioPort, proto: m.proto, formats, attributes },
    negotiated: {
      kind: "audio",
      index: m.index,
      ...(m.mid === undefined ? {} : { mid: m.mid }),
      payloadType: pt,
      codec,
      clockRate: info.clockRate,
      channels: info.channels,
      fmtp: format.fmtp,
      localFmtp: fmtpRecord([]),
      ...(events === undefined ? {} : { telephoneEventPt: events.payloadType }),
      ...(m.ptime === undefined ? {} : { ptime: m.ptime }),
      ...remoteEndpoint(m, connection, m.rtcpMux),
      rtcpMux: m.rtcpMux,
      direction,
      feedback: NO_FEEDBACK,
    },
  };
}

/** commonAttributes echoes rtcp-mux (RFC 5761 §5.1.1) and mid (RFC 5888 §9.1) when offered. */
function commonAttributes(m: ParsedMedia): string[] {
  return [...(m.rtcpMux ? ["rtcp-mux"] : []), ...(m.mid === undefined ? [] : [`mid:${m.mid}`])];
}

interface VideoChoice {
  readonly format: RtpFormat;
  readonly codec: VideoCodecName;
  readonly localFmtp: Record<string, string>;
  readonly packetizationMode?: 0 | 1;
}

/** chooseVideo picks the offered format of our most preferred video codec the offer has. */
function chooseVideo(m: ParsedMedia, side: LocalSide): VideoChoice | undefined {
  for (const want of side.videoCodecs) {
    const candidates = m.rtpFormats.filter((f) => videoCodecOf(f) === want);
    if (want !== "H264") {
      const format = candidates[0];
      if (format === undefined) continue;
      const profile = want === "VP9" ? format.fmtp["profile-id"] : undefined;
      return {
        format,
        codec: want,
        localFmtp: fmtpRecord(profile === undefined ? [] : [["profile-id", profile]]),
      };
    }
    // H.264: the packetization-mode must be one we packetize (RFC 6184 §8.2.2), mode 1 first
    // (mode 0 cannot carry a NAL unit larger than the MTU), then the offerer's order.
    let best: VideoChoice | undefined;
    for (const format of candidates) {
      const mode = h264PacketizationMode(format);
      if (mode === undefined || (best !== undefined && mode === 0)) continue;
      const profile = answerH264Profile(format, side.h264ProfileLevelIds);
      if (profile === undefined) continue;
      best = {
        format,
        codec: "H264",
        packetizationMode: mode,
        localFmtp: fmtpRecord([
          ...(profile.profileLevelId === undefined
            ? []
            : [["profile-level-id", profile.profileLevelId] as const]),
          ["packetization-mode", String(mode)],
        ]),
      };
      if (mode === 1) break;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

function answerVideo(m: ParsedMedia, side: LocalSide): Outcome {
  const problem = streamProblem(m);
  if (problem !== undefined) return { reason: problem };
  const choice = chooseVideo(m, side);
  if (choice === undefined) return { reason: "no-common-codec" };
  const { format, codec, localFmtp } = choice;
  const pt = format.payloadType;
  const feedback = feedbackOf(format);
  const direction = intersectDirection(mirrorDirection(m.direction), side.videoDirection);
  const fmtp = formatFmtpParams(localFmtp);
  const rtxFormat = side.videoRtx && feedback.nack ? rtxFormatFor(m, pt) : undefined;
  const remoteSsrcs = fidSsrcs(m);
  const rtx =
    rtxFormat === undefined
      ? undefined
      : {
          payloadType: rtxFormat.payloadType,
          apt: pt,
          ...(remoteSsrcs === undefined ? {} : { remoteSsrcs }),
        };
  const attributes = [
    rtpmapAttribute(pt, codec, 90000),
    ...(fmtp === "" ? [] : [`fmtp:${pt} ${fmtp}`]),
    ...feedbackAttributes(pt, feedback),
    ...(rtx === undefined
      ? []
      : [...rtxAttributes(rtx.payloadType, pt), ...ssrcAttributes(side.videoSsrcs)]),
    ...commonAttributes(m),
    direction,
  ];
  const formats = rtx === undefined ? [pt] : [pt, rtx.payloadType];
  const connection = m.connection!;
  return {
    section: { media: m.media, port: side.videoPort, proto: m.proto, formats, attributes },
    negotiated: {
      kind: "video",
      index: m.index,
      ...(m.mid === undefined ? {} : { mid: m.mid }),
      payloadType: pt,
      codec,
      clockRate: 90000,
      channels: 1,
      fmtp: format.fmtp,
      localFmtp,
      ...(choice.packetizationMode === undefined
        ? {}
        : { packetizationMode: choice.packetizationMode }),
      ...(codec === "H264" ? spropFields(format.fmtp) : {}),
      ...(m.ptime === undefined ? {} : { ptime: m.ptime }),
      ...remoteEndpoint(m, connection, m.rtcpMux),
      rtcpMux: m.rtcpMux,
      direction,
      feedback,
      ...(rtx === undefined ? {} : { rtx }),
    },
  };
}
