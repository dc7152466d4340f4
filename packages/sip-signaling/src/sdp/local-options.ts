import { SipSignalingError } from "../errors.js";
import { DEFAULT_H264_PROFILE_LEVEL_IDS, isValidProfileLevelId } from "./codecs.js";
import { isMediaDirection } from "./direction.js";
import { classifyIp } from "./ip-address.js";
import type {
  AudioCodecName,
  MediaDirection,
  SdpLocalOptions,
  VideoCodecName,
} from "./sdp-types.js";

/** LocalSide is SdpLocalOptions checked and with defaults filled in. */
export interface LocalSide {
  readonly audioCodecs: readonly AudioCodecName[];
  readonly videoCodecs: readonly VideoCodecName[];
  readonly address: string;
  readonly addressType: "IP4" | "IP6";
  readonly audioPort: number;
  readonly videoPort: number;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly username: string;
  readonly sessionName: string;
  readonly h264ProfileLevelIds: readonly string[];
  readonly audioDirection: MediaDirection;
  readonly videoDirection: MediaDirection;
  readonly videoRtx: boolean;
  readonly videoSsrcs?: { readonly media: number; readonly rtx: number; readonly cname: string };
}

const AUDIO: ReadonlySet<string> = new Set(["PCMU", "PCMA", "opus", "telephone-event"]);
const VIDEO: ReadonlySet<string> = new Set(["H264", "VP8", "VP9"]);

const bad = (message: string): SipSignalingError => new SipSignalingError("BAD_OPTION", message);

function isPort(value: unknown, allowZero: boolean): value is number {
  return (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= (allowZero ? 0 : 1) &&
    value <= 65535
  );
}

function decimal(value: unknown, what: string): string {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^\d{1,20}$/.test(text)) {
    throw bad(`${what} must be a decimal number of at most 20 digits (RFC 4566 §5.2)`);
  }
  return text;
}

function uniqueOf<T extends string>(list: unknown, known: ReadonlySet<string>, what: string): T[] {
  if (!Array.isArray(list)) throw bad(`${what} must be an array`);
  const out: T[] = [];
  for (const item of list) {
    if (typeof item !== "string" || !known.has(item)) {
      throw bad(`${what}: unknown codec ${String(item)} (expected ${[...known].join(", ")})`);
    }
    if (!out.includes(item as T)) out.push(item as T);
  }
  return out;
}

/** checkLocalOptions validates our side of the exchange; a bad value throws `BAD_OPTION`. */
export function checkLocalOptions(local: SdpLocalOptions): LocalSide {
  const audioCodecs = uniqueOf<AudioCodecName>(local.audioCodecs, AUDIO, "audioCodecs");
  if (!audioCodecs.some((c) => c !== "telephone-event")) {
    throw bad("audioCodecs needs at least one of PCMU, PCMA, opus");
  }
  const videoCodecs = uniqueOf<VideoCodecName>(local.videoCodecs, VIDEO, "videoCodecs");
  const ip = typeof local.address === "string" ? classifyIp(local.address) : undefined;
  if (ip === undefined || ip.multicast) {
    throw bad("address must be a unicast IPv4 or IPv6 literal (RFC 4566 §5.7)");
  }
  if (!isPort(local.audioPort, false)) throw bad("audioPort must be an integer in 1..65535");
  if (!isPort(local.videoPort, true)) throw bad("videoPort must be an integer in 0..65535");
  const username = local.username ?? "-";
  if (!/^[\x21-\x7e]{1,64}$/.test(username)) {
    throw bad("username must be 1..64 visible ASCII characters, no space (RFC 4566 §5.2)");
  }
  const sessionName = local.sessionName ?? "framewire";
  if (!/^[^\0\r\n]{1,256}$/.test(sessionName)) {
    throw bad("sessionName must be 1..256 characters without CR, LF or NUL (RFC 4566 §5.3)");
  }
  const h264ProfileLevelIds = local.h264ProfileLevelIds ?? DEFAULT_H264_PROFILE_LEVEL_IDS;
  if (h264ProfileLevelIds.length === 0 || !h264ProfileLevelIds.every(isValidProfileLevelId)) {
    throw bad("h264ProfileLevelIds must list valid profile-level-ids (RFC 6184 §8.1)");
  }
  const audioDirection = local.audioDirection ?? "sendrecv";
  const videoDirection = local.videoDirection ?? "sendrecv";
  if (!isMediaDirection(audioDirection) || !isMediaDirection(videoDirection)) {
    throw bad("audioDirection and videoDirection must be sendrecv, sendonly, recvonly or inactive");
  }
  const ssrcs = local.videoSsrcs;
  if (ssrcs !== undefined) {
    const isSsrc = (n: unknown) =>
      Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
    if (!isSsrc(ssrcs.media) || !isSsrc(ssrcs.rtx) || ssrcs.media === ssrcs.rtx) {
      throw bad("videoSsrcs.media and .rtx must be two different 32-bit SSRCs (RFC 4588 §5.3)");
    }
    if (typeof ssrcs.cname !== "string" || !/^[\x21-\x7e]{1,255}$/.test(ssrcs.cname)) {
      throw bad("videoSsrcs.cname must be 1..255 visible ASCII characters (RFC 5576 §6.1)");
    }
  }
  return {
    audioCodecs,
    videoCodecs,
    address: local.address,
    addressType: ip.addressType,
    audioPort: local.audioPort,
    videoPort: local.videoPort,
    sessionId: decimal(local.sessionId, "sessionId"),
    sessionVersion: decimal(local.sessionVersion, "sessionVersion"),
    username,
    sessionName,
    h264ProfileLevelIds: h264ProfileLevelIds.map((id) => id.toLowerCase()),
    audioDirection,
    videoDirection,
    videoRtx: local.videoRtx === true,
    ...(ssrcs === undefined ? {} : { videoSsrcs: ssrcs }),
  };
}
