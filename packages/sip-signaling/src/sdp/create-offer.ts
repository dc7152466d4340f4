import { SipSignalingError } from "../errors.js";
import { AUDIO_CODECS } from "./codecs.js";
import { checkLocalOptions } from "./local-options.js";
import { OFFER_RTX_PAYLOAD_TYPES, rtxAttributes, ssrcAttributes } from "./rtx.js";
import { feedbackAttributes, rtpmapAttribute, TELEPHONE_EVENTS } from "./sdp-attributes.js";
import type { SdpOfferOptions, VideoCodecName } from "./sdp-types.js";
import { type MediaSection, writeSessionDescription } from "./write-session-description.js";

/**
 * OFFER_PAYLOAD_TYPES are the payload types of our offers: RFC 3551 static types for G.711,
 * dynamic ones (96..127, RFC 3551 §3) for the rest, matching @framewire/rtp-video's defaults.
 */
export const OFFER_PAYLOAD_TYPES = {
  PCMU: 0,
  PCMA: 8,
  opus: 111,
  "telephone-event/8000": 101,
  "telephone-event/48000": 110,
  H264: 96,
  VP8: 97,
  VP9: 98,
} as const;

const ALL_FEEDBACK = { nack: true, pli: true, fir: true };

/**
 * createOffer writes the SDP offer of an outbound call (RFC 3264 §5): an m=audio line with our
 * audio codecs in preference order (telephone-event at 8000 Hz beside G.711 and at 48000 Hz
 * beside opus, RFC 4733 §2.1), and with `withVideo` an m=video line with our video codecs —
 * H.264 as packetization-mode=1 with our first profile-level-id (default 42e01f), VP8, VP9 —
 * each with `a=rtcp-fb` nack, nack pli and ccm fir; with `videoRtx`, an RTX format for each
 * (`OFFER_RTX_PAYLOAD_TYPES`, RFC 4588 §8.1) and, with `videoSsrcs`, `a=ssrc-group:FID`.
 * Bad options throw `BAD_OPTION`.
 */
export function createOffer(local: SdpOfferOptions): string {
  const side = checkLocalOptions(local);
  const rtcpMux = local.rtcpMux === true;
  const audioFormats: number[] = [];
  const audioAttributes: string[] = [];
  for (const codec of side.audioCodecs) {
    if (codec === "telephone-event") continue;
    const info = AUDIO_CODECS[codec];
    const pt = OFFER_PAYLOAD_TYPES[codec];
    audioFormats.push(pt);
    audioAttributes.push(rtpmapAttribute(pt, info.encodingName, info.clockRate, info.channels));
  }
  if (side.audioCodecs.includes("telephone-event")) {
    const rates = new Set(
      side.audioCodecs.flatMap((c) => (c === "telephone-event" ? [] : [AUDIO_CODECS[c].clockRate])),
    );
    for (const rate of [8000, 48000] as const) {
      if (!rates.has(rate)) continue;
      const pt = OFFER_PAYLOAD_TYPES[`telephone-event/${rate}`];
      audioFormats.push(pt);
      audioAttributes.push(
        rtpmapAttribute(pt, "telephone-event", rate),
        `fmtp:${pt} ${TELEPHONE_EVENTS}`,
      );
    }
  }
  const muxAttribute = rtcpMux ? ["rtcp-mux"] : [];
  const media: MediaSection[] = [
    {
      media: "audio",
      port: side.audioPort,
      proto: "RTP/AVP",
      formats: audioFormats,
      attributes: [...audioAttributes, ...muxAttribute, side.audioDirection],
    },
  ];
  if (local.withVideo) {
    if (side.videoPort === 0 || side.videoCodecs.length === 0) {
      throw new SipSignalingError(
        "BAD_OPTION",
        "withVideo needs a non-zero videoPort and at least one video codec",
      );
    }
    const attributes: string[] = [];
    for (const codec of side.videoCodecs) {
      const pt = OFFER_PAYLOAD_TYPES[codec];
      attributes.push(rtpmapAttribute(pt, codec, 90000));
      const fmtp = videoFmtp(codec, side.h264ProfileLevelIds[0]!);
      if (fmtp !== undefined) attributes.push(`fmtp:${pt} ${fmtp}`);
      attributes.push(...feedbackAttributes(pt, ALL_FEEDBACK));
    }
    const formats: number[] = side.videoCodecs.map((c) => OFFER_PAYLOAD_TYPES[c]);
    if (side.videoRtx) {
      for (const codec of side.videoCodecs) {
        const rtxPt = OFFER_RTX_PAYLOAD_TYPES[codec];
        formats.push(rtxPt);
        attributes.push(...rtxAttributes(rtxPt, OFFER_PAYLOAD_TYPES[codec]));
      }
      attributes.push(...ssrcAttributes(side.videoSsrcs));
    }
    media.push({
      media: "video",
      port: side.videoPort,
      proto: "RTP/AVP",
      formats,
      attributes: [...attributes, ...muxAttribute, side.videoDirection],
    });
  }
  return writeSessionDescription(side, media);
}

function videoFmtp(codec: VideoCodecName, profileLevelId: string): string | undefined {
  return codec === "H264" ? `profile-level-id=${profileLevelId};packetization-mode=1` : undefined;
}
