import type { SpropProblem } from "./sprop-parameter-sets.js";

/** MediaDirection is an SDP direction attribute (RFC 4566 §6, RFC 3264 §5.1). */
export type MediaDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** MediaKind classifies an m-line: "other" is any media this package does not carry. */
export type MediaKind = "audio" | "video" | "other";

/** AudioCodecName names the audio encodings we offer and answer (RFC 3551, RFC 7587, RFC 4733). */
export type AudioCodecName = "PCMU" | "PCMA" | "opus" | "telephone-event";

/** VideoCodecName names the video encodings we offer and answer (RFC 6184, RFC 7741, RFC 9628). */
export type VideoCodecName = "H264" | "VP8" | "VP9";

/** NegotiatedCodec is the media codec of a negotiated stream (telephone-event rides beside it). */
export type NegotiatedCodec = Exclude<AudioCodecName, "telephone-event"> | VideoCodecName;

/** ConnectionAddress is a usable unicast `c=` address (RFC 4566 §5.7): an IP literal, no FQDN. */
export interface ConnectionAddress {
  /** addressType is the `c=` address type. */
  readonly addressType: "IP4" | "IP6";
  /** address is the IP literal as written. */
  readonly address: string;
  /** unspecified is true for 0.0.0.0 or :: — "do not send" (RFC 3264 §8.4). */
  readonly unspecified: boolean;
}

/** SdpOrigin is the `o=` line (RFC 4566 §5.2). */
export interface SdpOrigin {
  readonly username: string;
  /** sessionId is a decimal string (it may exceed 2^53). */
  readonly sessionId: string;
  /** sessionVersion is a decimal string. */
  readonly sessionVersion: string;
  readonly addressType: "IP4" | "IP6";
  readonly address: string;
}

/** RtcpFeedback is one `a=rtcp-fb` value (RFC 4585 §4.2), lowercased: `nack`/`pli`, `ccm`/`fir`. */
export interface RtcpFeedback {
  readonly type: string;
  readonly parameter?: string;
}

/** RtpFormat is one RTP payload type of an m-line with its rtpmap, fmtp and rtcp-fb attributes. */
export interface RtpFormat {
  /** payloadType is 0..127 (RFC 3550 §5.1). */
  readonly payloadType: number;
  /** encodingName is from `a=rtpmap` as written (absent for a static type without rtpmap). */
  readonly encodingName?: string;
  /** clockRate is from `a=rtpmap`. */
  readonly clockRate?: number;
  /** channels is the rtpmap encoding parameter of audio formats. */
  readonly channels?: number;
  /** fmtp holds the `a=fmtp` parameters, names lowercased; a bare value (`0-15`) maps to "". */
  readonly fmtp: Readonly<Record<string, string>>;
  /** fmtpConfig is the `a=fmtp` value as written. */
  readonly fmtpConfig?: string;
  /** rtcpFeedback lists the `a=rtcp-fb` lines of this payload type and of `*`. */
  readonly rtcpFeedback: readonly RtcpFeedback[];
}

/** RtcpAttribute is `a=rtcp` (RFC 3605): the RTCP port, and address when it differs. */
export interface RtcpAttribute {
  readonly port: number;
  readonly connection?: ConnectionAddress;
}

/** SsrcGroup is one `a=ssrc-group` (RFC 5576 §4.2): its semantics (`FID`, `FEC`, ...) and SSRCs. */
export interface SsrcGroup {
  /** semantics as written, e.g. "FID" (RFC 5888 flow identification: media, then its RTX). */
  readonly semantics: string;
  /** ssrcs in the order written. */
  readonly ssrcs: readonly number[];
}

/** ParsedMedia is one m-line (RFC 4566 §5.14) and the attributes this package reads. */
export interface ParsedMedia {
  /** index is the position of the m-line, from 0. */
  readonly index: number;
  /** media is the m-line media token as written ("audio", "video", "application", ...). */
  readonly media: string;
  /** kind classifies `media`. */
  readonly kind: MediaKind;
  /** port is the transport port; 0 means the stream is disabled (RFC 3264 §5.1). */
  readonly port: number;
  /** portCount is the "/number of ports" suffix of the m-line port, 1 when absent. */
  readonly portCount: number;
  /** proto is the transport protocol as written ("RTP/AVP", "RTP/AVPF", "UDP/BFCP", ...). */
  readonly proto: string;
  /** formats are the m-line format tokens as written, in order. */
  readonly formats: readonly string[];
  /** rtpFormats are the formats that are payload types 0..127 (RTP protos only), deduplicated. */
  readonly rtpFormats: readonly RtpFormat[];
  /** direction is the media-level attribute, else the session-level one, else sendrecv. */
  readonly direction: MediaDirection;
  /**
   * connection is the media-level `c=`, else the session-level one. It is absent when the
   * governing `c=` is missing or unusable (FQDN, multicast, wrong address type): a broken
   * media-level `c=` does not fall back to the session-level one.
   */
  readonly connection?: ConnectionAddress;
  /** rtcp is `a=rtcp` (RFC 3605) when present and valid. */
  readonly rtcp?: RtcpAttribute;
  /** rtcpMux is true when `a=rtcp-mux` is present (RFC 5761 §5.1.1). */
  readonly rtcpMux: boolean;
  /** mid is `a=mid` (RFC 5888) when it is a valid token. */
  readonly mid?: string;
  /** ptime is `a=ptime` in milliseconds (RFC 4566 §6). */
  readonly ptime?: number;
  /** ssrcGroups are the `a=ssrc-group` lines (RFC 5576 §4.2), when there are any. */
  readonly ssrcGroups?: readonly SsrcGroup[];
}

/** ParsedSessionDescription is a parsed SDP body: session-level fields and the m-lines. */
export interface ParsedSessionDescription {
  /** origin is the `o=` line when it is well formed. */
  readonly origin?: SdpOrigin;
  /** sessionName is the `s=` value. */
  readonly sessionName?: string;
  /** connection is the session-level `c=` when it is usable. */
  readonly connection?: ConnectionAddress;
  /** direction is a session-level direction attribute, when present. */
  readonly direction?: MediaDirection;
  /** media are the m-lines in order. */
  readonly media: readonly ParsedMedia[];
}

/** ParsedOffer is a parsed SDP offer (the same shape as any parsed description). */
export type ParsedOffer = ParsedSessionDescription;

/** SdpLocalOptions describe our side of an offer/answer exchange. */
export interface SdpLocalOptions {
  /** audioCodecs in preference order; "telephone-event" enables RFC 4733 events. */
  readonly audioCodecs: readonly AudioCodecName[];
  /** videoCodecs in preference order; empty disables video. */
  readonly videoCodecs: readonly VideoCodecName[];
  /** address is our media IP literal (IPv4 or IPv6), written in `o=` and `c=`. */
  readonly address: string;
  /** audioPort is our audio RTP port, 1..65535. */
  readonly audioPort: number;
  /** videoPort is our video RTP port, 1..65535, or 0 to refuse video. */
  readonly videoPort: number;
  /** sessionId is the `o=` sess-id: a decimal number of at most 20 digits. */
  readonly sessionId: string | number;
  /** sessionVersion is the `o=` sess-version; increment it for each new offer of a session. */
  readonly sessionVersion: string | number;
  /** username is the `o=` username; default "-". */
  readonly username?: string;
  /** sessionName is the `s=` value; default "framewire". */
  readonly sessionName?: string;
  /**
   * h264ProfileLevelIds lists the H.264 profile-level-ids we accept, one per profile; an offered
   * H.264 format must have the same profile as one of them (its level may be lower). Default:
   * Constrained Baseline and Baseline at level 3.1, `["42e01f", "42001f"]`.
   */
  readonly h264ProfileLevelIds?: readonly string[];
  /** audioDirection is what we want for audio; default sendrecv. */
  readonly audioDirection?: MediaDirection;
  /** videoDirection is what we want for video; default sendrecv. */
  readonly videoDirection?: MediaDirection;
  /**
   * videoRtx offers RTX (RFC 4588 §8.1: `a=rtpmap:<pt> rtx/90000`, `a=fmtp:<pt> apt=<media pt>`)
   * beside each video codec, and answers it when an offer has it for the codec chosen (with
   * `nack` feedback: RTX answers NACKs). Default false.
   */
  readonly videoRtx?: boolean;
  /**
   * videoSsrcs are the SSRCs we send video with, announced with RTX as `a=ssrc-group:FID
   * <media> <rtx>` and `a=ssrc:<id> cname:<cname>` (RFC 5576 §4, RFC 4588 §8.3) when RTX is
   * offered or answered; give the same numbers to the video session (`ssrc`, `rtxSsrc`).
   */
  readonly videoSsrcs?: { readonly media: number; readonly rtx: number; readonly cname: string };
}

/** SdpOfferOptions describe an offer we send (outbound call or re-INVITE). */
export interface SdpOfferOptions extends SdpLocalOptions {
  /** withVideo adds an m=video line (needs a non-zero videoPort and a video codec). */
  readonly withVideo: boolean;
  /** rtcpMux adds `a=rtcp-mux` to our m-lines (RFC 5761); default false. */
  readonly rtcpMux?: boolean;
}

/** RtcpFeedbackSet says which RTCP feedback messages the peer and we agreed on (RFC 4585). */
export interface RtcpFeedbackSet {
  /** nack is generic NACK (`a=rtcp-fb:PT nack`, RFC 4585 §6.2.1). */
  readonly nack: boolean;
  /** pli is Picture Loss Indication (`nack pli`, RFC 4585 §6.3.1). */
  readonly pli: boolean;
  /** fir is Full Intra Request (`ccm fir`, RFC 5104 §3.5.1). */
  readonly fir: boolean;
}

/** NegotiatedRtx is the RTX (RFC 4588) agreed for a video stream. */
export interface NegotiatedRtx {
  /** payloadType of the RTX format, the same number both ways (like the media's). */
  readonly payloadType: number;
  /** apt is the media payload type it repairs (`a=fmtp:<pt> apt=<apt>`). */
  readonly apt: number;
  /**
   * remoteSsrcs are the peer's media and RTX SSRCs from its `a=ssrc-group:FID` (RFC 5576 §4),
   * when it signalled them; otherwise its RTX SSRC is learned from the packets.
   */
  readonly remoteSsrcs?: { readonly media: number; readonly rtx: number };
}

/** NegotiatedMedia is one accepted stream: what to send, where, and how. */
export interface NegotiatedMedia {
  readonly kind: "audio" | "video";
  /** index is the m-line position in the offer (and in the answer). */
  readonly index: number;
  /** mid is the offer's `a=mid`, when present. */
  readonly mid?: string;
  /** payloadType of the codec, the same number in both directions. */
  readonly payloadType: number;
  readonly codec: NegotiatedCodec;
  readonly clockRate: number;
  /** channels is 2 for opus, 1 otherwise. */
  readonly channels: number;
  /** fmtp are the peer's parameters for this payload type: what we must send within. */
  readonly fmtp: Readonly<Record<string, string>>;
  /** localFmtp are the parameters we wrote for it in our own SDP: what we receive. */
  readonly localFmtp: Readonly<Record<string, string>>;
  /** packetizationMode is the RFC 6184 packetization-mode of H.264 (0 or 1). */
  readonly packetizationMode?: 0 | 1;
  /**
   * parameterSets are the SPS/PPS NAL units (no start codes) the peer declared for the H.264 it
   * sends, decoded from its `sprop-parameter-sets` (RFC 6184 §8.1); absent when none or ignored.
   */
  readonly parameterSets?: readonly Uint8Array[];
  /** parameterSetsIgnored says why the peer's `sprop-parameter-sets` were not taken. */
  readonly parameterSetsIgnored?: SpropProblem;
  /** telephoneEventPt is the RFC 4733 payload type (same clock rate as the codec). */
  readonly telephoneEventPt?: number;
  /** ptime is the peer's `a=ptime`, when given. */
  readonly ptime?: number;
  /** remoteAddress is where to send RTP. */
  readonly remoteAddress: string;
  /** remoteAddressUnspecified is true for 0.0.0.0 / :: (hold, RFC 3264 §8.4): send nothing. */
  readonly remoteAddressUnspecified: boolean;
  readonly remotePort: number;
  /** remoteRtcpAddress is from `a=rtcp` when present, else `remoteAddress`. */
  readonly remoteRtcpAddress: string;
  /** remoteRtcpPort: `a=rtcp`, else remotePort with rtcp-mux, else remotePort + 1; 0 if none fits. */
  readonly remoteRtcpPort: number;
  /** rtcpMux is true when both sides agreed on RTP/RTCP multiplexing (RFC 5761). */
  readonly rtcpMux: boolean;
  /** direction is OUR direction for the stream. */
  readonly direction: MediaDirection;
  /** feedback lists the RTCP feedback both sides agreed on (video only; audio: all false). */
  readonly feedback: RtcpFeedbackSet;
  /** rtx is the RTX format agreed for the video codec (RFC 4588), when both sides have it. */
  readonly rtx?: NegotiatedRtx;
}

/** RejectReason says why an m-line was answered (or came back) with port 0. */
export type RejectReason =
  | "port-zero"
  | "unsupported-media"
  | "unsupported-transport"
  | "no-connection-address"
  | "no-common-codec"
  | "video-disabled"
  | "duplicate";

/** RejectedMedia is an m-line that carries no media in this call. */
export interface RejectedMedia {
  readonly index: number;
  /** media is the m-line media token ("video", "application", ...). */
  readonly media: string;
  readonly reason: RejectReason;
}

/** NegotiatedSession is the outcome of an offer/answer: audio always, video when agreed. */
export interface NegotiatedSession {
  readonly audio: NegotiatedMedia;
  /** video is absent when no video was offered or it was rejected: the call is audio-only. */
  readonly video?: NegotiatedMedia;
  /** rejected lists every m-line answered with port 0. */
  readonly rejected: readonly RejectedMedia[];
}

/** SdpAnswer is the result of negotiateAnswer: our answer's text and what it agreed. */
export interface SdpAnswer extends NegotiatedSession {
  /** sdp is the answer body, CRLF line ends (RFC 4566 §5). */
  readonly sdp: string;
}
