import { SipSignalingError } from "../errors.js";
import { isMediaDirection } from "./direction.js";
import { parseFmtpParams } from "./fmtp.js";
import { classifyIp } from "./ip-address.js";
import { SDP_LIMITS } from "./sdp-limits.js";
import type {
  ConnectionAddress,
  MediaDirection,
  MediaKind,
  ParsedMedia,
  ParsedSessionDescription,
  RtcpAttribute,
  RtcpFeedback,
  RtpFormat,
  SdpOrigin,
  SsrcGroup,
} from "./sdp-types.js";

/** TOKEN is RFC 4566 §9 `token`: one or more token-char. */
export const SDP_TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const PROTO = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+(?:\/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)*$/;
const PORT = /^(\d{1,5})(?:\/(\d{1,2}))?$/;
const ORIGIN = /^(\S+) (\d{1,20}) (\d{1,20}) IN (IP4|IP6) (\S+)$/;
const CONNECTION = /^IN (IP4|IP6) (\S+)$/;
const RTPMAP = /^(\d{1,3}) ([^\s/]+)\/(\d{1,10})(?:\/(\d{1,3}))?$/;
const FMTP = /^(\d{1,3}) +(\S.*)$/;
const RTCP_FB = /^(\d{1,3}|\*) +(\S.*)$/;
const RTCP = /^(\d{1,5})(?: IN (IP4|IP6) (\S+))?$/;
const PTIME = /^\d{1,4}$/;
const SSRC_GROUP = /^([!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)((?: +\d{1,10})+)$/;
/** MAX_SSRC_GROUPS bounds the `a=ssrc-group` lines kept per m-line (extra ones are ignored). */
const MAX_SSRC_GROUPS = 8;
const WHITESPACE = /[ \t]+/;

/** ConnectionState is a `c=` line as seen: absent, usable, or present but unusable. */
type ConnectionState = ConnectionAddress | "absent" | "unusable";

interface RtpMap {
  readonly name: string;
  readonly rate: number;
  readonly channels?: number;
}

interface MediaDraft {
  readonly index: number;
  readonly media: string;
  readonly port: number;
  readonly portCount: number;
  readonly proto: string;
  readonly formats: readonly string[];
  readonly rtpmaps: Map<number, RtpMap>;
  readonly fmtps: Map<number, string>;
  readonly feedback: Map<number | "*", RtcpFeedback[]>;
  connection: ConnectionState;
  rtcp?: RtcpAttribute;
  rtcpMux: boolean;
  mid?: string;
  ptime?: number;
  direction?: MediaDirection;
  ssrcGroups?: SsrcGroup[];
}

const malformed = (message: string): SipSignalingError =>
  new SipSignalingError("SDP_MALFORMED", message);

/**
 * parseSessionDescription parses an SDP body (RFC 4566) into typed m-lines with the attributes
 * offer/answer needs. Hostile input never crashes it: a body over `SDP_LIMITS` fails with
 * `SDP_TOO_LARGE`; a missing `v=0`, or an m-line whose media, port, proto or formats break the
 * RFC 4566 §5.14 grammar, fails with `SDP_MALFORMED`; an attribute or `c=` it cannot use
 * (bad payload type, FQDN or multicast address, bad `a=rtcp`) is ignored. Lines may end in CRLF,
 * LF or CR; lines that are not `<letter>=<value>` are skipped, as RFC 4566 §5 lets a parser do
 * with unknown types.
 */
export function parseSessionDescription(text: string): ParsedSessionDescription {
  if (typeof text !== "string") throw malformed("SDP body is not a string");
  if (text.length > SDP_LIMITS.maxChars) {
    throw new SipSignalingError(
      "SDP_TOO_LARGE",
      `SDP body of ${text.length} characters exceeds ${SDP_LIMITS.maxChars}`,
    );
  }
  const lines = text.split(/\r\n|\r|\n/);
  let at = 0;
  while (at < lines.length && lines[at]!.trim() === "") at++;
  if (lines[at]?.trimEnd() !== "v=0") {
    throw malformed("an SDP body starts with the line v=0 (RFC 4566 §5.1)");
  }

  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let sessionConnection: ConnectionState = "absent";
  let sessionDirection: MediaDirection | undefined;
  const drafts: MediaDraft[] = [];

  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const type = line.charCodeAt(0);
    if (line.length < 2 || line.charCodeAt(1) !== 0x3d || type < 0x61 || type > 0x7a) continue;
    const value = line.slice(2).trimEnd();
    const media = drafts.at(-1);
    switch (line[0]) {
      case "m":
        if (drafts.length >= SDP_LIMITS.maxMedia) {
          throw new SipSignalingError(
            "SDP_TOO_LARGE",
            `more than ${SDP_LIMITS.maxMedia} m-lines in the SDP body`,
          );
        }
        drafts.push(parseMediaLine(value, drafts.length));
        break;
      case "o":
        if (media === undefined && origin === undefined) origin = parseOrigin(value);
        break;
      case "s":
        if (media === undefined && sessionName === undefined) sessionName = value;
        break;
      case "c":
        if (media === undefined) {
          if (sessionConnection === "absent") sessionConnection = parseConnection(value);
        } else if (media.connection === "absent") {
          media.connection = parseConnection(value);
        }
        break;
      case "a":
        if (media === undefined) {
          const attribute = value.toLowerCase();
          if (sessionDirection === undefined && isMediaDirection(attribute)) {
            sessionDirection = attribute;
          }
        } else {
          parseMediaAttribute(media, value);
        }
        break;
      default:
        break;
    }
  }

  const sessionConn = typeof sessionConnection === "object" ? sessionConnection : undefined;
  return {
    ...(origin === undefined ? {} : { origin }),
    ...(sessionName === undefined ? {} : { sessionName }),
    ...(sessionConn === undefined ? {} : { connection: sessionConn }),
    ...(sessionDirection === undefined ? {} : { direction: sessionDirection }),
    media: drafts.map((d) => finishMedia(d, sessionConnection, sessionDirection)),
  };
}

/** parseMediaLine reads `m=<media> <port>[/<count>] <proto> <fmt> ...` (RFC 4566 §5.14). */
function parseMediaLine(value: string, index: number): MediaDraft {
  const where = `m-line ${index + 1}`;
  const parts = value.trim().split(WHITESPACE);
  if (parts.length < 4) {
    throw malformed(`${where} needs media, port, proto and a format (RFC 4566 §5.14)`);
  }
  const [media, portField, proto] = parts as [string, string, string];
  if (!SDP_TOKEN.test(media)) throw malformed(`${where}: media is not a token (RFC 4566 §9)`);
  const port = PORT.exec(portField);
  const portNumber = port === null ? Number.NaN : Number(port[1]);
  const portCount = port?.[2] === undefined ? 1 : Number(port[2]);
  if (!(portNumber <= 65535) || portCount < 1) {
    throw malformed(`${where}: port is not 0..65535[/count] (RFC 4566 §5.14)`);
  }
  if (!PROTO.test(proto)) throw malformed(`${where}: proto is not token/token (RFC 4566 §9)`);
  const formats = parts.slice(3);
  if (formats.length > SDP_LIMITS.maxFormats) {
    throw new SipSignalingError(
      "SDP_TOO_LARGE",
      `${where} lists ${formats.length} formats, more than ${SDP_LIMITS.maxFormats}`,
    );
  }
  if (!formats.every((f) => SDP_TOKEN.test(f))) {
    throw malformed(`${where}: a format is not a token (RFC 4566 §5.14)`);
  }
  return {
    index,
    media,
    port: portNumber,
    portCount,
    proto,
    formats,
    rtpmaps: new Map(),
    fmtps: new Map(),
    feedback: new Map(),
    connection: "absent",
    rtcpMux: false,
  };
}

/** parseOrigin reads `o=` (RFC 4566 §5.2); a malformed origin is ignored. */
function parseOrigin(value: string): SdpOrigin | undefined {
  const m = ORIGIN.exec(value);
  if (m === null) return undefined;
  return {
    username: m[1]!,
    sessionId: m[2]!,
    sessionVersion: m[3]!,
    addressType: m[4] as "IP4" | "IP6",
    address: m[5]!,
  };
}

/**
 * parseConnection reads `c=IN IP4|IP6 <address>` (RFC 4566 §5.7). Only a unicast IP literal of
 * the stated type is usable: an FQDN, a multicast group (with or without /ttl) or a mismatched
 * type is "unusable" — media cannot be sent there without DNS or multicast support.
 */
function parseConnection(value: string): ConnectionState {
  const m = CONNECTION.exec(value);
  if (m === null) return "unusable";
  const address = m[2]!;
  const ip = classifyIp(address);
  if (ip === undefined || ip.multicast || ip.addressType !== m[1]) return "unusable";
  return { addressType: ip.addressType, address, unspecified: ip.unspecified };
}

/** payloadType reads a payload type number 0..127, else undefined. */
function payloadType(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const pt = Number(text);
  return pt <= 127 ? pt : undefined;
}

/** parseMediaAttribute reads the media-level attributes we use; the first occurrence wins. */
function parseMediaAttribute(media: MediaDraft, value: string): void {
  const colon = value.indexOf(":");
  const name = (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? "" : value.slice(colon + 1).trim();
  switch (name) {
    case "rtpmap": {
      const m = RTPMAP.exec(rest);
      const pt = m === null ? undefined : payloadType(m[1]!);
      if (m === null || pt === undefined || media.rtpmaps.has(pt)) return;
      const rate = Number(m[3]);
      const channels = m[4] === undefined ? undefined : Number(m[4]);
      if (rate < 1 || rate > 0xffffffff || channels === 0) return;
      media.rtpmaps.set(pt, {
        name: m[2]!,
        rate,
        ...(channels === undefined ? {} : { channels }),
      });
      return;
    }
    case "fmtp": {
      const m = FMTP.exec(rest);
      const pt = m === null ? undefined : payloadType(m[1]!);
      if (m === null || pt === undefined || media.fmtps.has(pt)) return;
      media.fmtps.set(pt, m[2]!);
      return;
    }
    case "rtcp-fb": {
      const m = RTCP_FB.exec(rest);
      if (m === null) return;
      const key = m[1] === "*" ? "*" : payloadType(m[1]!);
      if (key === undefined) return;
      const [type, ...params] = m[2]!.toLowerCase().split(WHITESPACE) as [string, ...string[]];
      const list = media.feedback.get(key) ?? [];
      if (list.length >= SDP_LIMITS.maxRtcpFeedback) return;
      list.push(params.length === 0 ? { type } : { type, parameter: params.join(" ") });
      media.feedback.set(key, list);
      return;
    }
    case "rtcp": {
      if (media.rtcp !== undefined) return;
      const m = RTCP.exec(rest);
      const port = m === null ? 0 : Number(m[1]);
      if (m === null || port < 1 || port > 65535) return;
      if (m[2] === undefined) {
        media.rtcp = { port };
        return;
      }
      const connection = parseConnection(`IN ${m[2]} ${m[3]}`);
      if (typeof connection === "object") media.rtcp = { port, connection };
      return;
    }
    case "rtcp-mux":
      media.rtcpMux = true;
      return;
    case "mid":
      if (media.mid === undefined && SDP_TOKEN.test(rest)) media.mid = rest;
      return;
    case "ssrc-group": {
      // RFC 5576 §4.2: a=ssrc-group:<semantics> <ssrc-id> ...
      const m = SSRC_GROUP.exec(rest);
      if (m === null) return;
      const ssrcs = m[2]!.trim().split(WHITESPACE).map(Number);
      if (ssrcs.length > 16 || ssrcs.some((n) => n > 0xffffffff)) return;
      media.ssrcGroups ??= [];
      if (media.ssrcGroups.length < MAX_SSRC_GROUPS) {
        media.ssrcGroups.push({ semantics: m[1]!, ssrcs });
      }
      return;
    }
    case "ptime": {
      const ms = Number(rest);
      if (media.ptime === undefined && PTIME.test(rest) && ms > 0) media.ptime = ms;
      return;
    }
    default:
      if (media.direction === undefined && colon < 0 && isMediaDirection(name)) {
        media.direction = name;
      }
  }
}

/** isRtpProto tells whether a proto carries RTP (RTP/AVP, RTP/AVPF, RTP/SAVP, UDP/TLS/RTP/...). */
export function isRtpProto(proto: string): boolean {
  return proto.toUpperCase().split("/").includes("RTP");
}

/** finishMedia resolves connection and direction inheritance and builds the RTP formats. */
function finishMedia(
  d: MediaDraft,
  sessionConnection: ConnectionState,
  sessionDirection: MediaDirection | undefined,
): ParsedMedia {
  const state = d.connection === "absent" ? sessionConnection : d.connection;
  const connection = typeof state === "object" ? state : undefined;
  const kind: MediaKind =
    d.media.toLowerCase() === "audio"
      ? "audio"
      : d.media.toLowerCase() === "video"
        ? "video"
        : "other";
  const rtpFormats: RtpFormat[] = [];
  if (isRtpProto(d.proto)) {
    const seen = new Set<number>();
    const wildcard = d.feedback.get("*") ?? [];
    for (const token of d.formats) {
      const pt = payloadType(token);
      if (pt === undefined || seen.has(pt)) continue;
      seen.add(pt);
      const map = d.rtpmaps.get(pt);
      const config = d.fmtps.get(pt);
      rtpFormats.push({
        payloadType: pt,
        ...(map === undefined ? {} : { encodingName: map.name, clockRate: map.rate }),
        ...(map?.channels === undefined ? {} : { channels: map.channels }),
        fmtp: config === undefined ? Object.create(null) : parseFmtpParams(config),
        ...(config === undefined ? {} : { fmtpConfig: config }),
        rtcpFeedback: [...(d.feedback.get(pt) ?? []), ...wildcard],
      });
    }
  }
  return {
    index: d.index,
    media: d.media,
    kind,
    port: d.port,
    portCount: d.portCount,
    proto: d.proto,
    formats: d.formats,
    rtpFormats,
    direction: d.direction ?? sessionDirection ?? "sendrecv",
    ...(connection === undefined ? {} : { connection }),
    ...(d.rtcp === undefined ? {} : { rtcp: d.rtcp }),
    rtcpMux: d.rtcpMux,
    ...(d.mid === undefined ? {} : { mid: d.mid }),
    ...(d.ptime === undefined ? {} : { ptime: d.ptime }),
    ...(d.ssrcGroups === undefined ? {} : { ssrcGroups: d.ssrcGroups }),
  };
}
