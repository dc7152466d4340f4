import fc from "fast-check";
import { parse as sdpTransformParse } from "sdp-transform";
import { describe, expect, it } from "vitest";
import { SipSignalingError, type SipSignalingErrorCode } from "../errors.js";
import { createOffer } from "./create-offer.js";
import { intersectDirection, mirrorDirection } from "./direction.js";
import { negotiateAnswer } from "./negotiate-answer.js";
import { parseAnswer } from "./parse-answer.js";
import { parseSessionDescription } from "./parse-session-description.js";
import { SDP_LIMITS } from "./sdp-limits.js";
import type {
  AudioCodecName,
  MediaDirection,
  SdpLocalOptions,
  SdpOfferOptions,
  VideoCodecName,
} from "./sdp-types.js";

/** sdp joins lines with CRLF and ends the body with CRLF, as on the wire. */
const sdp = (...lines: string[]): string => `${lines.join("\r\n")}\r\n`;

// --- Offers of real peers ------------------------------------------------------------------

/** SIPP_OFFER is the INVITE body of tools/peers/sipp-av-call.xml as SIPp 3.6.1 sent it
 * (sipp-av-call.sh defaults: -i 127.0.0.1 -mp 16000), captured on the wire. */
const SIPP_OFFER = sdp(
  "v=0",
  "o=sipp 53655765 2353687637 IN IP4 127.0.0.1",
  "s=sipp-av-call",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 16000 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
  "m=video 16002 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
  "a=sendrecv",
);

/** h264WithFeedback is an H.264 mode-1 format at `pt` with nack, nack pli and ccm fir. */
const h264WithFeedback = (pt: number): string[] => [
  `a=rtpmap:${pt} H264/90000`,
  `a=fmtp:${pt} profile-level-id=42e01f;packetization-mode=1`,
  `a=rtcp-fb:${pt} nack`,
  `a=rtcp-fb:${pt} nack pli`,
  `a=rtcp-fb:${pt} ccm fir`,
];

/** baresipAudio is the start of baresip 1.0.0's m=audio section (PCMU, PCMA, events 0-15). */
const baresipAudio = (port: number): string[] => [
  `m=audio ${port} RTP/AVP 0 8 101`,
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
  "a=label:1",
];

/** BARESIP_OFFER is baresip 1.0.0's INVITE body with the config of baresip-run.sh (call mode,
 * avcodec + vp8 modules, no video_codecs filter), captured on the wire. */
const BARESIP_OFFER = sdp(
  "v=0",
  "o=- 1082404378 1059935222 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  ...baresipAudio(20072),
  "a=rtcp-rsize",
  "a=ssrc:30319102 cname:sip:caller@127.0.0.1:25060",
  "a=minptime:20",
  "a=ptime:20",
  "m=video 20094 RTP/AVP 96 97 34 98 99 100",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=0;profile-level-id=42e01f",
  "a=rtpmap:97 H264/90000",
  "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f",
  "a=rtpmap:34 H263/90000",
  "a=fmtp:34 CIF=1;CIF4=1",
  "a=rtpmap:98 MP4V-ES/90000",
  "a=fmtp:98 profile-level-id=3",
  "a=rtpmap:99 H265/90000",
  "a=fmtp:99 profile-id=1",
  "a=rtpmap:100 VP8/90000",
  "a=fmtp:100 max-fs=3600",
  "a=sendrecv",
  "a=label:2",
  "a=rtcp-rsize",
  "a=ssrc:1721510363 cname:sip:caller@127.0.0.1:25060",
  "a=framerate:30.00",
  "a=rtcp-fb:* nack pli",
  "a=content:main",
);

/** BARESIP_VP8_OFFER is baresip 1.0.0 with VIDEO_CODECS=VP8, captured on the wire. */
const BARESIP_VP8_OFFER = sdp(
  "v=0",
  "o=- 2893191129 582211221 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  ...baresipAudio(20074),
  "a=rtcp-rsize",
  "a=ssrc:3513446238 cname:sip:caller@127.0.0.1:25070",
  "a=minptime:20",
  "a=ptime:20",
  "m=video 20004 RTP/AVP 96",
  "a=rtpmap:96 VP8/90000",
  "a=fmtp:96 max-fs=3600",
  "a=sendrecv",
  "a=label:2",
  "a=rtcp-rsize",
  "a=ssrc:1710709992 cname:sip:caller@127.0.0.1:25070",
  "a=framerate:30.00",
  "a=rtcp-fb:* nack pli",
  "a=content:main",
);

/** LINPHONE_OFFER is written after Linphone 5 desktop offers: opus/speex/G.711, three
 * telephone-event rates, rtcp-mux, wildcard and per-type rtcp-fb, VP8 and three H.264 formats
 * (Constrained High, Baseline 42801F as Linphone writes it, Constrained Baseline mode 0). */
const LINPHONE_OFFER = sdp(
  "v=0",
  "o=alice 2291 3376 IN IP4 192.168.1.34",
  "s=Talk",
  "c=IN IP4 192.168.1.34",
  "t=0 0",
  "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
  "a=record:off",
  "m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 useinbandfec=1",
  "a=rtpmap:97 speex/16000",
  "a=fmtp:97 vbr=on",
  "a=rtpmap:98 speex/8000",
  "a=fmtp:98 vbr=on",
  "a=rtpmap:101 telephone-event/48000",
  "a=rtpmap:99 telephone-event/16000",
  "a=rtpmap:100 telephone-event/8000",
  "a=rtcp-mux",
  "a=rtcp-fb:* trr-int 1000",
  "a=rtcp-fb:* ccm tmmbr",
  "m=video 9078 RTP/AVP 102 103 104 105",
  "a=rtpmap:102 VP8/90000",
  "a=rtpmap:103 H264/90000",
  "a=fmtp:103 profile-level-id=640c1f;packetization-mode=1",
  "a=rtpmap:104 H264/90000",
  "a=fmtp:104 profile-level-id=42801F;packetization-mode=1",
  "a=rtpmap:105 H264/90000",
  "a=fmtp:105 profile-level-id=42e01f",
  "a=rtcp-mux",
  "a=rtcp-fb:* trr-int 1000",
  "a=rtcp-fb:* ccm tmmbr",
  "a=rtcp-fb:102 nack pli",
  "a=rtcp-fb:102 nack sli",
  "a=rtcp-fb:102 ack rpsi",
  "a=rtcp-fb:102 ccm fir",
  "a=rtcp-fb:104 nack",
  "a=rtcp-fb:104 nack pli",
  "a=rtcp-fb:104 ccm fir",
  "a=rtcp-fb:105 nack pli",
);

/** LINPHONE_IPV6_OFFER is a Linphone-like IPv6 offer with media-level c=, a=mid and a=rtcp. */
const LINPHONE_IPV6_OFFER = sdp(
  "v=0",
  "o=bob 811 1208 IN IP6 2001:db8::34",
  "s=Talk",
  "t=0 0",
  "m=audio 7080 RTP/AVP 0 100",
  "c=IN IP6 2001:db8::34",
  "a=rtpmap:100 telephone-event/8000",
  "a=rtcp:7085 IN IP6 2001:db8::35",
  "a=mid:audio",
  "m=video 9080 RTP/AVPF 103",
  "c=IN IP6 2001:DB8:0:0:0:0:0:36",
  ...h264WithFeedback(103),
  "a=mid:video",
);

/** ASTERISK_AUDIO_OFFER is an audio-only PBX offer (PCMA first, G.722, 0-16 events). */
const ASTERISK_AUDIO_OFFER = sdp(
  "v=0",
  "o=- 1712345 1712345 IN IP4 203.0.113.10",
  "s=Asterisk",
  "c=IN IP4 203.0.113.10",
  "t=0 0",
  "m=audio 18452 RTP/AVP 8 0 9 101",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=ptime:20",
  "a=maxptime:150",
  "a=sendrecv",
);

/** BFCP_OFFER adds a BFCP m=application stream (RFC 8856) to an audio+video offer. */
const BFCP_OFFER = sdp(
  "v=0",
  "o=polycom 1 1 IN IP4 198.51.100.7",
  "s=-",
  "c=IN IP4 198.51.100.7",
  "t=0 0",
  "m=audio 49170 RTP/AVP 0",
  "m=video 49172 RTP/AVP 109",
  "a=rtpmap:109 H264/90000",
  "a=fmtp:109 profile-level-id=42e01f;packetization-mode=1",
  "a=label:1",
  "m=application 50000 UDP/BFCP *",
  "a=floorctrl:c-s",
  "a=confid:4321",
  "a=floorid:1 mstrm:1",
);

/** LOCAL is our side in most tests. */
const LOCAL: SdpLocalOptions = {
  audioCodecs: ["PCMU", "PCMA", "telephone-event"],
  videoCodecs: ["H264", "VP8", "VP9"],
  address: "192.0.2.10",
  audioPort: 40000,
  videoPort: 40002,
  sessionId: "4242",
  sessionVersion: 1,
};

const HEAD = ["v=0", "o=- 4242 1 IN IP4 192.0.2.10", "s=framewire", "c=IN IP4 192.0.2.10", "t=0 0"];

/** PCMU_AUDIO_ANSWER is our m=audio answer to an offer of PCMU and telephone-event/8000 at 101. */
const PCMU_AUDIO_ANSWER = [
  "m=audio 40000 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
];

/** codeOf runs `f` and returns the SipSignalingError code it throws (fails on anything else). */
function codeOf(f: () => unknown): SipSignalingErrorCode {
  try {
    f();
  } catch (e) {
    if (e instanceof SipSignalingError) return e.code;
    throw e;
  }
  throw new Error("expected a SipSignalingError, nothing was thrown");
}

/** withLines replaces the lines of `text` for which `map` returns a string (or removes them). */
function withLines(text: string, map: (line: string) => string | null | undefined): string {
  const out: string[] = [];
  for (const line of text.split("\r\n").slice(0, -1)) {
    const next = map(line);
    if (next === undefined) out.push(line);
    else if (next !== null) out.push(next);
  }
  return sdp(...out);
}

/** reparsed checks `text` with sdp-transform, an independent parser. */
function reparsed(text: string) {
  return sdpTransformParse(text);
}

// --- parseSessionDescription -----------------------------------------------------------------

describe("parseSessionDescription (RFC 4566)", () => {
  it("reads the SIPp offer: session-level c=, rtpmap, fmtp, direction", () => {
    const offer = parseSessionDescription(SIPP_OFFER);
    expect(offer.origin).toEqual({
      username: "sipp",
      sessionId: "53655765",
      sessionVersion: "2353687637",
      addressType: "IP4",
      address: "127.0.0.1",
    });
    expect(offer.sessionName).toBe("sipp-av-call");
    expect(offer.media).toHaveLength(2);
    const [audio, video] = offer.media;
    expect(audio).toMatchObject({
      index: 0,
      media: "audio",
      kind: "audio",
      port: 16000,
      portCount: 1,
      proto: "RTP/AVP",
      formats: ["0", "101"],
      direction: "sendrecv",
      connection: { addressType: "IP4", address: "127.0.0.1", unspecified: false },
      rtcpMux: false,
    });
    expect(audio?.rtpFormats[1]).toEqual({
      payloadType: 101,
      encodingName: "telephone-event",
      clockRate: 8000,
      fmtp: { "0-15": "" },
      fmtpConfig: "0-15",
      rtcpFeedback: [],
    });
    expect(video?.rtpFormats[0]?.fmtp).toEqual({
      "packetization-mode": "1",
      "profile-level-id": "42e01f",
    });
  });

  it("keeps fmtp values as strings (profile-level-id 420029 is not a number)", () => {
    const text = withLines(SIPP_OFFER, (l) =>
      l.startsWith("a=fmtp:96")
        ? "a=fmtp:96 profile-level-id=420029; packetization-mode=1"
        : undefined,
    );
    const fmtp = parseSessionDescription(text).media[1]?.rtpFormats[0]?.fmtp;
    expect(fmtp?.["profile-level-id"]).toBe("420029");
    expect(fmtp?.["packetization-mode"]).toBe("1");
  });

  it("merges wildcard rtcp-fb into every format (RFC 4585 §4.2)", () => {
    const video = parseSessionDescription(BARESIP_OFFER).media[1]!;
    expect(video.rtpFormats.map((f) => f.payloadType)).toEqual([96, 97, 34, 98, 99, 100]);
    for (const f of video.rtpFormats) {
      expect(f.rtcpFeedback).toEqual([{ type: "nack", parameter: "pli" }]);
    }
    expect(video.rtpFormats[2]?.encodingName).toBe("H263");
    expect(parseSessionDescription(BARESIP_OFFER).media[0]?.ptime).toBe(20);
  });

  it("reads IPv6, media-level c=, a=rtcp with address (RFC 3605) and a=mid (RFC 5888)", () => {
    const [audio, video] = parseSessionDescription(LINPHONE_IPV6_OFFER).media;
    expect(audio?.connection).toEqual({
      addressType: "IP6",
      address: "2001:db8::34",
      unspecified: false,
    });
    expect(audio?.rtcp).toEqual({
      port: 7085,
      connection: { addressType: "IP6", address: "2001:db8::35", unspecified: false },
    });
    expect(audio?.mid).toBe("audio");
    expect(audio?.rtpFormats[0]).toMatchObject({ payloadType: 0 });
    expect(audio?.rtpFormats[0]?.encodingName).toBeUndefined();
    expect(video?.connection?.address).toBe("2001:DB8:0:0:0:0:0:36");
    expect(video?.proto).toBe("RTP/AVPF");
  });

  it("accepts LF and CR line ends and trailing blanks", () => {
    const lf = SIPP_OFFER.replace(/\r\n/g, "\n");
    const cr = SIPP_OFFER.replace(/\r\n/g, "\r");
    const blanks = SIPP_OFFER.replace(/\r\n/g, " \r\n");
    for (const text of [lf, cr, blanks]) {
      expect(parseSessionDescription(text)).toEqual(parseSessionDescription(SIPP_OFFER));
    }
  });

  it("inherits a session-level direction; a media-level one overrides it", () => {
    const text = withLines(SIPP_OFFER, (l) =>
      l === "t=0 0" ? "t=0 0\r\na=sendonly" : l === "a=sendrecv" ? null : undefined,
    );
    const offer = parseSessionDescription(text);
    expect(offer.direction).toBe("sendonly");
    expect(offer.media.map((m) => m.direction)).toEqual(["sendonly", "sendonly"]);
    const mixed = withLines(SIPP_OFFER, (l) => (l === "t=0 0" ? "t=0 0\r\na=inactive" : undefined));
    expect(parseSessionDescription(mixed).media.map((m) => m.direction)).toEqual([
      "sendrecv",
      "sendrecv",
    ]);
  });

  it("does not fall back to the session c= when the media-level c= is unusable", () => {
    const text = withLines(SIPP_OFFER, (l) =>
      l === "m=video 16002 RTP/AVP 96" ? `${l}\r\nc=IN IP4 media.example.com` : undefined,
    );
    const [audio, video] = parseSessionDescription(text).media;
    expect(audio?.connection?.address).toBe("127.0.0.1");
    expect(video?.connection).toBeUndefined();
  });

  it.each([
    ["FQDN", "c=IN IP4 pbx.example.com"],
    ["IPv4 multicast with TTL", "c=IN IP4 224.2.36.42/127"],
    ["IPv4 multicast", "c=IN IP4 239.1.1.1"],
    ["IPv6 multicast", "c=IN IP6 ff0e::101"],
    ["IPv6 under IP4", "c=IN IP4 ::1"],
    ["IPv4 under IP6", "c=IN IP6 10.0.0.1"],
    ["IPv6 zone index", "c=IN IP6 fe80::1%eth0"],
    ["leading zeros", "c=IN IP4 010.0.0.1"],
    ["octet > 255", "c=IN IP4 10.0.0.256"],
    ["no address", "c=IN IP4"],
    ["ATM network type", "c=ATM NSAP 47.0091.8100.0000.0060.3e64.fd01.0060.3e64.fd01.00"],
  ])("ignores an unusable c= (%s)", (_name, line) => {
    const text = withLines(SIPP_OFFER, (l) => (l.startsWith("c=") ? line : undefined));
    const offer = parseSessionDescription(text);
    expect(offer.connection).toBeUndefined();
    expect(offer.media.every((m) => m.connection === undefined)).toBe(true);
  });

  it("marks 0.0.0.0 and :: as unspecified (RFC 3264 §8.4 hold)", () => {
    const v4 = withLines(SIPP_OFFER, (l) => (l.startsWith("c=") ? "c=IN IP4 0.0.0.0" : undefined));
    expect(parseSessionDescription(v4).connection).toEqual({
      addressType: "IP4",
      address: "0.0.0.0",
      unspecified: true,
    });
    const v6 = withLines(SIPP_OFFER, (l) => (l.startsWith("c=") ? "c=IN IP6 ::" : undefined));
    expect(parseSessionDescription(v6).connection?.unspecified).toBe(true);
  });

  it("ignores rtpmap/fmtp of types not on the m-line, bad payload types and duplicates", () => {
    const text = sdp(
      "v=0",
      "c=IN IP4 10.0.0.1",
      "m=audio 5000 RTP/AVP 0 0 8 200 abc 96 099",
      "a=rtpmap:97 opus/48000/2",
      "a=rtpmap:96 opus/48000/2",
      "a=rtpmap:96 PCMU/8000",
      "a=rtpmap:8 PCMA/0",
      "a=fmtp:96 __proto__=polluted;minptime=10;minptime=20",
      "a=rtcp-fb:999 nack",
      "a=rtcp:70000",
      "a=ptime:-5",
      "a=mid:bad mid",
    );
    const audio = parseSessionDescription(text).media[0]!;
    expect(audio.formats).toEqual(["0", "0", "8", "200", "abc", "96", "099"]);
    expect(audio.rtpFormats.map((f) => f.payloadType)).toEqual([0, 8, 96, 99]);
    expect(audio.rtpFormats[1]?.encodingName).toBeUndefined();
    expect(audio.rtpFormats[2]).toMatchObject({ encodingName: "opus", clockRate: 48000 });
    expect(audio.rtpFormats[2]?.fmtp.minptime).toBe("10");
    expect(Object.hasOwn(audio.rtpFormats[2]!.fmtp, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(audio.rtcp).toBeUndefined();
    expect(audio.ptime).toBeUndefined();
    expect(audio.mid).toBeUndefined();
  });

  it("reads no RTP formats from a non-RTP m-line", () => {
    const app = parseSessionDescription(BFCP_OFFER).media[2]!;
    expect(app).toMatchObject({ kind: "other", proto: "UDP/BFCP", formats: ["*"], rtpFormats: [] });
  });

  it("reads a port count (RFC 4566 §5.14 <port>/<number of ports>)", () => {
    const text = SIPP_OFFER.replace("m=video 16002", "m=video 16002/2");
    expect(parseSessionDescription(text).media[1]).toMatchObject({ port: 16002, portCount: 2 });
  });

  it.each([
    ["empty body", ""],
    ["no v= line", SIPP_OFFER.slice(5)],
    ["v=1", SIPP_OFFER.replace("v=0", "v=1")],
    ["port 70000", SIPP_OFFER.replace("m=audio 16000", "m=audio 70000")],
    ["port 123456", SIPP_OFFER.replace("m=audio 16000", "m=audio 123456")],
    ["port -1", SIPP_OFFER.replace("m=audio 16000", "m=audio -1")],
    ["port abc", SIPP_OFFER.replace("m=audio 16000", "m=audio abc")],
    ["port count 0", SIPP_OFFER.replace("m=audio 16000", "m=audio 16000/0")],
    ["no formats", SIPP_OFFER.replace("m=audio 16000 RTP/AVP 0 101", "m=audio 16000 RTP/AVP")],
    ["m=", SIPP_OFFER.replace("m=audio 16000 RTP/AVP 0 101", "m=")],
    ["media not a token", SIPP_OFFER.replace("m=audio", 'm=au"dio')],
    ["proto not a token", SIPP_OFFER.replace("RTP/AVP 0", "RTP//AVP 0")],
    ["format not a token", SIPP_OFFER.replace("RTP/AVP 0 101", 'RTP/AVP 0 "101"')],
  ])("refuses a malformed body (%s) with SDP_MALFORMED", (_name, text) => {
    expect(codeOf(() => parseSessionDescription(text))).toBe("SDP_MALFORMED");
  });

  it("refuses a non-string body with SDP_MALFORMED", () => {
    expect(codeOf(() => parseSessionDescription(42 as unknown as string))).toBe("SDP_MALFORMED");
  });

  it("caps the body at 64 KiB, 16 m-lines and 64 formats per m-line (SDP_TOO_LARGE)", () => {
    const pad = (n: number) => `a=x-pad:${"x".repeat(n)}\r\n`;
    const exact = SIPP_OFFER + pad(SDP_LIMITS.maxChars - SIPP_OFFER.length - 10);
    expect(exact.length).toBe(SDP_LIMITS.maxChars);
    expect(parseSessionDescription(exact).media).toHaveLength(2);
    expect(codeOf(() => parseSessionDescription(`${exact}a`))).toBe("SDP_TOO_LARGE");
    expect(codeOf(() => parseSessionDescription("v=0\r\n".repeat(20_000)))).toBe("SDP_TOO_LARGE");

    const sixteen = sdp("v=0", "c=IN IP4 10.0.0.1", ...Array(16).fill("m=audio 5000 RTP/AVP 0"));
    expect(parseSessionDescription(sixteen).media).toHaveLength(16);
    const seventeen = `${sixteen}m=audio 5000 RTP/AVP 0\r\n`;
    expect(codeOf(() => parseSessionDescription(seventeen))).toBe("SDP_TOO_LARGE");

    const formats = (n: number) =>
      sdp("v=0", `m=audio 5000 RTP/AVP ${Array.from({ length: n }, (_, i) => i).join(" ")}`);
    expect(parseSessionDescription(formats(64)).media[0]?.rtpFormats).toHaveLength(64);
    expect(codeOf(() => parseSessionDescription(formats(65)))).toBe("SDP_TOO_LARGE");
  });

  it("keeps at most 32 fmtp parameters and 16 rtcp-fb values per format", () => {
    const params = Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join(";");
    const text = sdp(
      "v=0",
      "m=video 5000 RTP/AVP 96",
      "a=rtpmap:96 VP8/90000",
      `a=fmtp:96 ${params}`,
      ...Array.from({ length: 40 }, (_, i) => `a=rtcp-fb:96 x-${i}`),
    );
    const f = parseSessionDescription(text).media[0]!.rtpFormats[0]!;
    expect(Object.keys(f.fmtp)).toHaveLength(SDP_LIMITS.maxFmtpParams);
    expect(f.rtcpFeedback).toHaveLength(SDP_LIMITS.maxRtcpFeedback);
  });

  it("parses a 64 KiB single-line body quickly", () => {
    const long = `v=0\r\na=${"x ".repeat((SDP_LIMITS.maxChars - 10) / 2)}\r\n`;
    const longMedia = `v=0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 ${"P".repeat(SDP_LIMITS.maxChars - 60)}/8000\r\n`;
    const started = performance.now();
    parseSessionDescription(long);
    parseSessionDescription(longMedia);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

// --- negotiateAnswer -------------------------------------------------------------------------

describe("negotiateAnswer (RFC 3264 §6)", () => {
  it("answers the SIPp offer with PCMU + telephone-event and H.264 mode 1", () => {
    const answer = negotiateAnswer(SIPP_OFFER, LOCAL);
    expect(answer.sdp).toBe(
      sdp(
        ...HEAD,
        ...PCMU_AUDIO_ANSWER,
        "m=video 40002 RTP/AVP 96",
        "a=rtpmap:96 H264/90000",
        "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1",
        "a=sendrecv",
      ),
    );
    expect(answer.audio).toEqual({
      kind: "audio",
      index: 0,
      payloadType: 0,
      codec: "PCMU",
      clockRate: 8000,
      channels: 1,
      fmtp: {},
      localFmtp: {},
      telephoneEventPt: 101,
      remoteAddress: "127.0.0.1",
      remoteAddressUnspecified: false,
      remotePort: 16000,
      remoteRtcpAddress: "127.0.0.1",
      remoteRtcpPort: 16001,
      rtcpMux: false,
      direction: "sendrecv",
      feedback: { nack: false, pli: false, fir: false },
    });
    expect(answer.video).toMatchObject({
      kind: "video",
      index: 1,
      payloadType: 96,
      codec: "H264",
      clockRate: 90000,
      packetizationMode: 1,
      fmtp: { "packetization-mode": "1", "profile-level-id": "42e01f" },
      localFmtp: { "profile-level-id": "42e01f", "packetization-mode": "1" },
      remotePort: 16002,
      remoteRtcpPort: 16003,
      feedback: { nack: false, pli: false, fir: false },
    });
    expect(answer.rejected).toEqual([]);
    // SIPp's scenario checks the 200 OK with this regular expression.
    expect(answer.sdp).toMatch(/m=video [1-9][0-9]*/);
  });

  it("answers baresip with H.264 mode 1 over the mode 0 it lists first, and echoes nack pli", () => {
    const answer = negotiateAnswer(BARESIP_OFFER, LOCAL);
    expect(answer.audio).toMatchObject({ codec: "PCMU", payloadType: 0, ptime: 20 });
    expect(answer.video).toMatchObject({
      codec: "H264",
      payloadType: 97,
      packetizationMode: 1,
      feedback: { nack: false, pli: true, fir: false },
    });
    expect(answer.sdp).toContain(
      [
        "m=video 40002 RTP/AVP 97",
        "a=rtpmap:97 H264/90000",
        "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
        "a=rtcp-fb:97 nack pli",
        "a=sendrecv",
      ].join("\r\n"),
    );
  });

  it("answers baresip with VP8 when we prefer it", () => {
    const answer = negotiateAnswer(BARESIP_OFFER, { ...LOCAL, videoCodecs: ["VP8", "H264"] });
    expect(answer.video).toMatchObject({ codec: "VP8", payloadType: 100, localFmtp: {} });
    expect(answer.video?.fmtp).toEqual({ "max-fs": "3600" });
    expect(answer.sdp).toContain(
      "m=video 40002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=rtcp-fb:100 nack pli\r\na=sendrecv\r\n",
    );
  });

  it("takes H.264 mode 0 when it is the only mode offered", () => {
    const modeZero = withLines(BARESIP_OFFER, (l) =>
      l.startsWith("a=fmtp:97")
        ? "a=fmtp:97 packetization-mode=2;profile-level-id=42e01f"
        : undefined,
    );
    const answer = negotiateAnswer(modeZero, { ...LOCAL, videoCodecs: ["H264"] });
    expect(answer.video).toMatchObject({ payloadType: 96, packetizationMode: 0 });
    expect(answer.sdp).toContain("a=fmtp:96 profile-level-id=42e01f;packetization-mode=0");
  });

  it("answers a VP8-only baresip offer with m=video 0 when we only do H.264 (audio-only call)", () => {
    const answer = negotiateAnswer(BARESIP_VP8_OFFER, { ...LOCAL, videoCodecs: ["H264"] });
    expect(answer.video).toBeUndefined();
    expect(answer.rejected).toEqual([{ index: 1, media: "video", reason: "no-common-codec" }]);
    expect(answer.sdp).toContain("\r\nm=video 0 RTP/AVP 96\r\n");
    expect(reparsed(answer.sdp).media.map((m) => m.port)).toEqual([40000, 0]);
  });

  it("answers Linphone: Baseline 42801F matches our Baseline, rtcp-mux, per-type feedback", () => {
    const answer = negotiateAnswer(LINPHONE_OFFER, LOCAL);
    expect(answer.sdp).toBe(
      sdp(
        ...HEAD,
        "m=audio 40000 RTP/AVP 0 100",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:100 telephone-event/8000",
        "a=fmtp:100 0-15",
        "a=rtcp-mux",
        "a=sendrecv",
        "m=video 40002 RTP/AVP 104",
        "a=rtpmap:104 H264/90000",
        "a=fmtp:104 profile-level-id=42001f;packetization-mode=1",
        "a=rtcp-fb:104 nack",
        "a=rtcp-fb:104 nack pli",
        "a=rtcp-fb:104 ccm fir",
        "a=rtcp-mux",
        "a=sendrecv",
      ),
    );
    expect(answer.audio).toMatchObject({
      rtcpMux: true,
      remotePort: 7078,
      remoteRtcpPort: 7078,
      telephoneEventPt: 100,
    });
    expect(answer.video).toMatchObject({
      payloadType: 104,
      rtcpMux: true,
      remoteRtcpPort: 9078,
      feedback: { nack: true, pli: true, fir: true },
    });
  });

  it("answers Linphone with opus and 48 kHz telephone-event when we prefer opus", () => {
    const answer = negotiateAnswer(LINPHONE_OFFER, {
      ...LOCAL,
      audioCodecs: ["opus", "PCMU", "telephone-event"],
    });
    expect(answer.audio).toMatchObject({
      codec: "opus",
      payloadType: 96,
      clockRate: 48000,
      channels: 2,
      telephoneEventPt: 101,
      fmtp: { useinbandfec: "1" },
    });
    expect(answer.sdp).toContain(
      "m=audio 40000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n" +
        "a=rtpmap:101 telephone-event/48000\r\na=fmtp:101 0-15\r\n",
    );
  });

  it("picks each of Linphone's H.264 profiles according to our profile list", () => {
    const constrainedBaseline = negotiateAnswer(LINPHONE_OFFER, {
      ...LOCAL,
      h264ProfileLevelIds: ["42e01f"],
    });
    // Only 105 is Constrained Baseline; it has no packetization-mode, so mode 0.
    expect(constrainedBaseline.video).toMatchObject({ payloadType: 105, packetizationMode: 0 });
    expect(constrainedBaseline.sdp).toContain(
      "a=fmtp:105 profile-level-id=42e01f;packetization-mode=0\r\na=rtcp-fb:105 nack pli\r\n",
    );
    const constrainedHigh = negotiateAnswer(LINPHONE_OFFER, {
      ...LOCAL,
      h264ProfileLevelIds: ["640c28"],
    });
    // The offer is level 3.1, ours 4: the answer takes the lower level (RFC 6184 §8.2.2).
    expect(constrainedHigh.video).toMatchObject({
      payloadType: 103,
      localFmtp: { "profile-level-id": "640c1f", "packetization-mode": "1" },
    });
  });

  it("rejects High 640028 with our default Baseline-only profiles, VP8 still wins", () => {
    const high = sdp(
      "v=0",
      "o=- 1 1 IN IP4 10.0.0.5",
      "s=-",
      "c=IN IP4 10.0.0.5",
      "t=0 0",
      "m=audio 6000 RTP/AVP 8",
      "m=video 6002 RTP/AVP 96 97",
      "a=rtpmap:96 H264/90000",
      "a=fmtp:96 profile-level-id=640028;packetization-mode=1",
      "a=rtpmap:97 VP8/90000",
    );
    const withVp8 = negotiateAnswer(high, LOCAL);
    expect(withVp8.audio.codec).toBe("PCMA");
    expect(withVp8.video).toMatchObject({ codec: "VP8", payloadType: 97 });

    const h264Only = negotiateAnswer(high, { ...LOCAL, videoCodecs: ["H264"] });
    expect(h264Only.video).toBeUndefined();
    expect(h264Only.rejected).toEqual([{ index: 1, media: "video", reason: "no-common-codec" }]);
    expect(h264Only.sdp).toContain("\r\nm=video 0 RTP/AVP 96\r\n");

    // A High level 3.1 decoder accepts it, answering the lower level (level may go down).
    const ours = negotiateAnswer(high, { ...LOCAL, h264ProfileLevelIds: ["64001f"] });
    expect(ours.sdp).toContain("a=fmtp:96 profile-level-id=64001f;packetization-mode=1");
    // And never a higher one than offered (no level-asymmetry-allowed).
    const higher = negotiateAnswer(high, { ...LOCAL, h264ProfileLevelIds: ["640033"] });
    expect(higher.sdp).toContain("a=fmtp:96 profile-level-id=640028;packetization-mode=1");
  });

  it("rejects mismatched packetization-mode (2, interleaved) and bad profile-level-ids", () => {
    for (const fmtp of [
      "packetization-mode=2;profile-level-id=42e01f",
      "packetization-mode=one;profile-level-id=42e01f",
      "packetization-mode=1;profile-level-id=zzzzzz",
      "packetization-mode=1;profile-level-id=42e0",
    ]) {
      const text = withLines(SIPP_OFFER, (l) =>
        l.startsWith("a=fmtp:96") ? `a=fmtp:96 ${fmtp}` : undefined,
      );
      const answer = negotiateAnswer(text, LOCAL);
      expect(answer.video).toBeUndefined();
      expect(answer.sdp).toContain("\r\nm=video 0 RTP/AVP 96\r\n");
    }
  });

  it("answers an H.264 offer without profile-level-id without one (both at the default)", () => {
    const text = withLines(SIPP_OFFER, (l) => (l.startsWith("a=fmtp:96") ? null : undefined));
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.video).toMatchObject({
      packetizationMode: 0,
      localFmtp: { "packetization-mode": "0" },
    });
    expect(answer.sdp).toContain("a=fmtp:96 packetization-mode=0\r\n");
  });

  it("answers VP9 by name and echoes its profile-id", () => {
    const text = sdp(
      "v=0",
      "c=IN IP4 10.0.0.5",
      "m=audio 6000 RTP/AVP 0",
      "m=video 6002 RTP/AVPF 98",
      "a=rtpmap:98 vp9/90000",
      "a=fmtp:98 profile-id=0",
      "a=rtcp-fb:98 ccm fir",
    );
    const answer = negotiateAnswer(text, { ...LOCAL, videoCodecs: ["VP9"] });
    expect(answer.video).toMatchObject({
      codec: "VP9",
      feedback: { nack: false, pli: false, fir: true },
    });
    expect(answer.sdp).toContain(
      "m=video 40002 RTP/AVPF 98\r\na=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\na=rtcp-fb:98 ccm fir\r\n",
    );
  });

  it("answers an audio-only PBX offer with OUR preferred codec, not the offerer's", () => {
    const answer = negotiateAnswer(ASTERISK_AUDIO_OFFER, LOCAL);
    expect(answer.sdp).toBe(sdp(...HEAD, ...PCMU_AUDIO_ANSWER));
    expect(answer.video).toBeUndefined();
    const pcma = negotiateAnswer(ASTERISK_AUDIO_OFFER, { ...LOCAL, audioCodecs: ["PCMA"] });
    expect(pcma.audio).toMatchObject({ codec: "PCMA", payloadType: 8 });
    expect(pcma.audio.telephoneEventPt).toBeUndefined();
    expect(pcma.sdp).toContain("m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n");
  });

  it("answers m=application with port 0 and keeps the m-line order", () => {
    const answer = negotiateAnswer(BFCP_OFFER, LOCAL);
    const lines = answer.sdp.split("\r\n").filter((l) => l.startsWith("m="));
    expect(lines).toEqual([
      "m=audio 40000 RTP/AVP 0",
      "m=video 40002 RTP/AVP 109",
      "m=application 0 UDP/BFCP *",
    ]);
    expect(answer.rejected).toEqual([
      { index: 2, media: "application", reason: "unsupported-media" },
    ]);
    expect(reparsed(answer.sdp).media).toHaveLength(3);
  });

  it("answers every offered m-line: port 0, SRTP, duplicates, disabled video", () => {
    const text = sdp(
      "v=0",
      "c=IN IP4 10.0.0.5",
      "m=audio 0 RTP/AVP 0",
      "a=mid:a0",
      "m=audio 6000 RTP/SAVP 0",
      "m=audio 6002 RTP/AVP 0",
      "m=audio 6004 RTP/AVP 8",
      "m=video 6006 RTP/AVP 96",
      "a=rtpmap:96 VP8/90000",
      "m=video 6008 RTP/AVP 97",
      "a=rtpmap:97 VP8/90000",
      "m=text 6010 RTP/AVP 98",
    );
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.audio).toMatchObject({ index: 2, remotePort: 6002 });
    expect(answer.video).toMatchObject({ index: 4, remotePort: 6006 });
    expect(answer.rejected).toEqual([
      { index: 0, media: "audio", reason: "port-zero" },
      { index: 1, media: "audio", reason: "unsupported-transport" },
      { index: 3, media: "audio", reason: "duplicate" },
      { index: 5, media: "video", reason: "duplicate" },
      { index: 6, media: "text", reason: "unsupported-media" },
    ]);
    expect(answer.sdp.split("\r\n").filter((l) => l.startsWith("m="))).toEqual([
      "m=audio 0 RTP/AVP 0",
      "m=audio 0 RTP/SAVP 0",
      "m=audio 40000 RTP/AVP 0",
      "m=audio 0 RTP/AVP 8",
      "m=video 40002 RTP/AVP 96",
      "m=video 0 RTP/AVP 97",
      "m=text 0 RTP/AVP 98",
    ]);
    expect(answer.sdp).toContain("m=audio 0 RTP/AVP 0\r\na=mid:a0\r\n");

    const noVideo = negotiateAnswer(text, { ...LOCAL, videoPort: 0 });
    expect(noVideo.video).toBeUndefined();
    expect(noVideo.rejected.filter((r) => r.reason === "video-disabled")).toHaveLength(2);
    const noCodecs = negotiateAnswer(SIPP_OFFER, { ...LOCAL, videoCodecs: [] });
    expect(noCodecs.rejected).toEqual([{ index: 1, media: "video", reason: "video-disabled" }]);
  });

  it("answers video with port 0 when the offer disabled it (port 0)", () => {
    const text = SIPP_OFFER.replace("m=video 16002", "m=video 0");
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.video).toBeUndefined();
    expect(answer.rejected).toEqual([{ index: 1, media: "video", reason: "port-zero" }]);
  });

  it.each<[MediaDirection, MediaDirection]>([
    ["sendonly", "recvonly"],
    ["recvonly", "sendonly"],
    ["inactive", "inactive"],
    ["sendrecv", "sendrecv"],
  ])("mirrors an offered %s as %s (RFC 3264 §6.1)", (offered, answered) => {
    const text = SIPP_OFFER.replaceAll("a=sendrecv", `a=${offered}`);
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.audio.direction).toBe(answered);
    expect(answer.video?.direction).toBe(answered);
    expect(answer.sdp.match(new RegExp(`a=${answered}\\r\\n`, "g"))).toHaveLength(2);
  });

  it("defaults to sendrecv and narrows to our own direction", () => {
    const text = SIPP_OFFER.replaceAll("a=sendrecv\r\n", "");
    expect(negotiateAnswer(text, LOCAL).audio.direction).toBe("sendrecv");
    const onHold = negotiateAnswer(SIPP_OFFER, { ...LOCAL, audioDirection: "sendonly" });
    expect(onHold.audio.direction).toBe("sendonly");
    const offeredSendonly = SIPP_OFFER.replaceAll("a=sendrecv", "a=sendonly");
    const both = negotiateAnswer(offeredSendonly, { ...LOCAL, videoDirection: "sendonly" });
    expect(both.video?.direction).toBe("inactive");
  });

  it("accepts a c=0.0.0.0 hold offer and flags the address as unspecified", () => {
    const text = SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0").replaceAll(
      "a=sendrecv",
      "a=sendonly",
    );
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.audio).toMatchObject({
      remoteAddress: "0.0.0.0",
      remoteAddressUnspecified: true,
      direction: "recvonly",
    });
  });

  it("uses the media-level c= over the session-level one, and a=rtcp", () => {
    const text = withLines(SIPP_OFFER, (l) =>
      l === "m=video 16002 RTP/AVP 96"
        ? `${l}\r\nc=IN IP4 10.9.8.7\r\na=rtcp:16009 IN IP4 10.9.8.6`
        : undefined,
    );
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.audio.remoteAddress).toBe("127.0.0.1");
    expect(answer.video).toMatchObject({
      remoteAddress: "10.9.8.7",
      remotePort: 16002,
      remoteRtcpAddress: "10.9.8.6",
      remoteRtcpPort: 16009,
    });
  });

  it("answers an IPv6 offer: mids echoed, a=rtcp honoured, AVPF kept", () => {
    const answer = negotiateAnswer(LINPHONE_IPV6_OFFER, { ...LOCAL, address: "2001:db8::10" });
    expect(answer.sdp).toBe(
      sdp(
        "v=0",
        "o=- 4242 1 IN IP6 2001:db8::10",
        "s=framewire",
        "c=IN IP6 2001:db8::10",
        "t=0 0",
        "m=audio 40000 RTP/AVP 0 100",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:100 telephone-event/8000",
        "a=fmtp:100 0-15",
        "a=mid:audio",
        "a=sendrecv",
        "m=video 40002 RTP/AVPF 103",
        ...h264WithFeedback(103),
        "a=mid:video",
        "a=sendrecv",
      ),
    );
    expect(answer.audio).toMatchObject({
      mid: "audio",
      remoteAddress: "2001:db8::34",
      remoteRtcpAddress: "2001:db8::35",
      remoteRtcpPort: 7085,
    });
    expect(reparsed(answer.sdp).connection).toEqual({ version: 6, ip: "2001:db8::10" });
  });

  it("rejects a stream with an unusable address; audio-only when it is the video", () => {
    const text = withLines(SIPP_OFFER, (l) =>
      l === "m=video 16002 RTP/AVP 96" ? `${l}\r\nc=IN IP4 cam.example.com` : undefined,
    );
    const answer = negotiateAnswer(text, LOCAL);
    expect(answer.video).toBeUndefined();
    expect(answer.rejected).toEqual([
      { index: 1, media: "video", reason: "no-connection-address" },
    ]);
    const fqdn = SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 pbx.example.com");
    expect(codeOf(() => negotiateAnswer(fqdn, LOCAL))).toBe("SDP_NO_ACCEPTABLE_AUDIO");
    const none = withLines(SIPP_OFFER, (l) => (l.startsWith("c=") ? null : undefined));
    expect(codeOf(() => negotiateAnswer(none, LOCAL))).toBe("SDP_NO_ACCEPTABLE_AUDIO");
  });

  it("derives RTCP port 0 when RTP port 65535 leaves no room for port + 1", () => {
    const text = SIPP_OFFER.replace("m=audio 16000", "m=audio 65535");
    expect(negotiateAnswer(text, LOCAL).audio.remoteRtcpPort).toBe(0);
  });

  it.each([
    [
      "G.722 and G.729 only",
      SIPP_OFFER.replace("m=audio 16000 RTP/AVP 0 101", "m=audio 16000 RTP/AVP 9 18").replace(
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000",
      ),
    ],
    ["telephone-event only", SIPP_OFFER.replace("RTP/AVP 0 101", "RTP/AVP 101")],
    ["audio port 0", SIPP_OFFER.replace("m=audio 16000", "m=audio 0")],
    ["SRTP only", SIPP_OFFER.replace("m=audio 16000 RTP/AVP", "m=audio 16000 RTP/SAVP")],
    [
      "video only",
      withLines(SIPP_OFFER, (l) => (l.startsWith("m=audio") ? "m=image 0 udptl t38" : undefined)),
    ],
    ["no m-lines", sdp("v=0", "o=- 1 1 IN IP4 10.0.0.1", "s=-", "c=IN IP4 10.0.0.1", "t=0 0")],
    ["PCMU at 16 kHz", SIPP_OFFER.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU/16000")],
  ])("throws SDP_NO_ACCEPTABLE_AUDIO (488) for %s", (_name, text) => {
    expect(codeOf(() => negotiateAnswer(text, LOCAL))).toBe("SDP_NO_ACCEPTABLE_AUDIO");
  });

  it("does not answer opus unless both sides list it, nor 8 kHz events with opus", () => {
    const opusOnly = sdp(
      "v=0",
      "c=IN IP4 10.0.0.5",
      "m=audio 6000 RTP/AVP 111 101",
      "a=rtpmap:111 opus/48000/2",
      "a=rtpmap:101 telephone-event/8000",
    );
    expect(codeOf(() => negotiateAnswer(opusOnly, LOCAL))).toBe("SDP_NO_ACCEPTABLE_AUDIO");
    const answer = negotiateAnswer(opusOnly, {
      ...LOCAL,
      audioCodecs: ["opus", "telephone-event"],
    });
    expect(answer.audio).toMatchObject({ codec: "opus", payloadType: 111 });
    expect(answer.audio.telephoneEventPt).toBeUndefined();
    const mono = opusOnly.replace("opus/48000/2", "opus/48000/1");
    expect(codeOf(() => negotiateAnswer(mono, { ...LOCAL, audioCodecs: ["opus"] }))).toBe(
      "SDP_NO_ACCEPTABLE_AUDIO",
    );
  });

  it.each<[string, Partial<SdpLocalOptions>]>([
    ["FQDN address", { address: "media.example.com" }],
    ["multicast address", { address: "239.0.0.1" }],
    ["audio port 0", { audioPort: 0 }],
    ["audio port 65536", { audioPort: 65536 }],
    ["video port 1.5", { videoPort: 1.5 }],
    ["session id with letters", { sessionId: "12ab" }],
    ["negative version", { sessionVersion: -1 }],
    ["no audio codec", { audioCodecs: ["telephone-event"] }],
    ["unknown codec", { audioCodecs: ["G729" as AudioCodecName] }],
    ["unknown video codec", { videoCodecs: ["AV1" as VideoCodecName] }],
    ["bad profile-level-id", { h264ProfileLevelIds: ["xyz"] }],
    ["username with space", { username: "a b" }],
    ["session name with CRLF", { sessionName: "a\r\nm=audio 1 RTP/AVP 0" }],
    ["bad direction", { audioDirection: "both" as MediaDirection }],
  ])("refuses bad local options (%s) with BAD_OPTION", (_name, change) => {
    expect(codeOf(() => negotiateAnswer(SIPP_OFFER, { ...LOCAL, ...change }))).toBe("BAD_OPTION");
  });

  it("accepts a parsed offer as well as its text", () => {
    expect(negotiateAnswer(parseSessionDescription(SIPP_OFFER), LOCAL)).toEqual(
      negotiateAnswer(SIPP_OFFER, LOCAL),
    );
  });

  it("writes answers sdp-transform reads back field by field", () => {
    for (const offer of [
      SIPP_OFFER,
      BARESIP_OFFER,
      LINPHONE_OFFER,
      LINPHONE_IPV6_OFFER,
      BFCP_OFFER,
    ]) {
      const answer = negotiateAnswer(offer, { ...LOCAL, address: "192.0.2.10" });
      const session = reparsed(answer.sdp);
      expect(session.origin).toMatchObject({ sessionId: 4242, sessionVersion: 1 });
      expect(session.media).toHaveLength(parseSessionDescription(offer).media.length);
      const audio = session.media[answer.audio.index]!;
      expect(audio.rtp[0]).toMatchObject({
        payload: answer.audio.payloadType,
        codec: answer.audio.codec,
      });
      if (answer.video !== undefined) {
        const video = session.media[answer.video.index]!;
        expect(video.port).toBe(40002);
        expect(video.rtp.map((r) => r.codec)).toEqual([answer.video.codec]);
      }
    }
  });
});

// --- createOffer / parseAnswer ---------------------------------------------------------------

const OFFER_LOCAL: SdpOfferOptions = { ...LOCAL, withVideo: true };

/** BARESIP_ANSWER is baresip 1.0.0's 200 OK body (baresip-run.sh answer mode) to createOffer()
 * with PCMU, PCMA, opus, telephone-event and H264, VP8, VP9, captured on the wire. */
const BARESIP_ANSWER = sdp(
  "v=0",
  "o=- 2299979945 3633542 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  ...baresipAudio(30094),
  "a=ssrc:2733052748 cname:sip:bridge@127.0.0.1:25100",
  "a=minptime:20",
  "a=ptime:20",
  "m=video 30056 RTP/AVP 96 97",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
  "a=rtpmap:97 VP8/90000",
  "a=fmtp:97 max-fs=3600",
  "a=sendrecv",
  "a=label:2",
  "a=ssrc:656512460 cname:sip:bridge@127.0.0.1:25100",
  "a=framerate:30.00",
  "a=rtcp-fb:* nack pli",
  "a=content:main",
);

/** SIPP_UAS_ANSWER is the 200 OK body of tools/peers/sipp-av-uas.xml (sipp-av-uas.sh
 * defaults: -i 127.0.0.1 -mp 26000) with its [fields] filled in. */
const SIPP_UAS_ANSWER = sdp(
  "v=0",
  "o=sipp-uas 1 1 IN IP4 127.0.0.1",
  "s=sipp-av-uas",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 26000 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "a=sendrecv",
  "m=video 26002 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
  "a=sendrecv",
);

describe("createOffer (RFC 3264 §5)", () => {
  it("writes audio and video with rtcp-fb in our preference order", () => {
    const offer = createOffer({
      ...OFFER_LOCAL,
      audioCodecs: ["PCMU", "PCMA", "opus", "telephone-event"],
    });
    expect(offer).toBe(
      sdp(
        ...HEAD,
        "m=audio 40000 RTP/AVP 0 8 111 101 110",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=rtpmap:110 telephone-event/48000",
        "a=fmtp:110 0-15",
        "a=sendrecv",
        "m=video 40002 RTP/AVP 96 97 98",
        ...h264WithFeedback(96),
        "a=rtpmap:97 VP8/90000",
        "a=rtcp-fb:97 nack",
        "a=rtcp-fb:97 nack pli",
        "a=rtcp-fb:97 ccm fir",
        "a=rtpmap:98 VP9/90000",
        "a=rtcp-fb:98 nack",
        "a=rtcp-fb:98 nack pli",
        "a=rtcp-fb:98 ccm fir",
        "a=sendrecv",
      ),
    );
  });

  it("writes audio only without withVideo, rtcp-mux and a hold direction on request", () => {
    const offer = createOffer({
      ...LOCAL,
      audioCodecs: ["PCMA"],
      withVideo: false,
      rtcpMux: true,
      audioDirection: "sendonly",
      address: "2001:db8::10",
      sessionId: "18446744073709551615",
      sessionVersion: 7,
      username: "bridge",
      sessionName: "A/V bridge",
    });
    expect(offer).toBe(
      sdp(
        "v=0",
        "o=bridge 18446744073709551615 7 IN IP6 2001:db8::10",
        "s=A/V bridge",
        "c=IN IP6 2001:db8::10",
        "t=0 0",
        "m=audio 40000 RTP/AVP 8",
        "a=rtpmap:8 PCMA/8000",
        "a=rtcp-mux",
        "a=sendonly",
      ),
    );
  });

  it("refuses withVideo without a video port or codec", () => {
    expect(codeOf(() => createOffer({ ...OFFER_LOCAL, videoPort: 0 }))).toBe("BAD_OPTION");
    expect(codeOf(() => createOffer({ ...OFFER_LOCAL, videoCodecs: [] }))).toBe("BAD_OPTION");
  });

  it("is read back by sdp-transform and by our own parser", () => {
    const offer = createOffer(OFFER_LOCAL);
    const session = reparsed(offer);
    expect(session.media.map((m) => [m.type, m.port, m.payloads])).toEqual([
      ["audio", 40000, "0 8 101"],
      ["video", 40002, "96 97 98"],
    ]);
    expect(session.media[1]?.rtcpFb?.filter((f) => f.payload === 96)).toHaveLength(3);
    const ours = parseSessionDescription(offer).media[1]!;
    expect(ours.rtpFormats.map((f) => [f.encodingName, f.clockRate])).toEqual([
      ["H264", 90000],
      ["VP8", 90000],
      ["VP9", 90000],
    ]);
  });
});

describe("parseAnswer (RFC 3264 §6)", () => {
  const offer = createOffer({
    ...OFFER_LOCAL,
    audioCodecs: ["PCMU", "PCMA", "opus", "telephone-event"],
  });

  it("reads baresip's real answer: PCMU + events, H.264 mode 1 with nack pli", () => {
    const session = parseAnswer(offer, BARESIP_ANSWER);
    expect(session.audio).toMatchObject({
      codec: "PCMU",
      payloadType: 0,
      telephoneEventPt: 101,
      remoteAddress: "127.0.0.1",
      remotePort: 30094,
      remoteRtcpPort: 30095,
      ptime: 20,
      direction: "sendrecv",
    });
    expect(session.video).toMatchObject({
      codec: "H264",
      payloadType: 96,
      packetizationMode: 1,
      remotePort: 30056,
      fmtp: { "packetization-mode": "1", "profile-level-id": "42e01f" },
      localFmtp: { "profile-level-id": "42e01f", "packetization-mode": "1" },
      feedback: { nack: false, pli: true, fir: false },
    });
    expect(session.rejected).toEqual([]);
  });

  it("reads the SIPp UAS answer", () => {
    const session = parseAnswer(offer, SIPP_UAS_ANSWER);
    expect(session.audio).toMatchObject({ codec: "PCMU", remotePort: 26000 });
    expect(session.audio.telephoneEventPt).toBeUndefined();
    expect(session.video).toMatchObject({ codec: "H264", payloadType: 96, remotePort: 26002 });
  });

  it("reads our own answers (round trip through negotiateAnswer)", () => {
    const answer = negotiateAnswer(offer, {
      ...LOCAL,
      audioCodecs: ["opus", "telephone-event"],
      videoCodecs: ["VP9"],
      address: "198.51.100.1",
      audioPort: 50000,
      videoPort: 50002,
    });
    const session = parseAnswer(offer, answer.sdp);
    expect(session.audio).toMatchObject({ codec: "opus", payloadType: 111, telephoneEventPt: 110 });
    expect(session.video).toMatchObject({
      codec: "VP9",
      payloadType: 98,
      remoteAddress: "198.51.100.1",
      remotePort: 50002,
      feedback: { nack: true, pli: true, fir: true },
    });
  });

  it.each([
    [
      "treats m=video 0 as an audio-only call",
      SIPP_UAS_ANSWER.replace("m=video 26002", "m=video 0"),
      "port-zero",
    ],
    [
      // PT 96 is H264 in our offer; an answer that maps 96 to VP8 has no common codec.
      "needs the answered payload type to carry the offered codec",
      SIPP_UAS_ANSWER.replace("a=rtpmap:96 H264/90000", "a=rtpmap:96 VP8/90000"),
      "no-common-codec",
    ],
  ] as const)("%s", (_name, answer, reason) => {
    const session = parseAnswer(offer, answer);
    expect(session.video).toBeUndefined();
    expect(session.rejected).toEqual([{ index: 1, media: "video", reason }]);
  });

  it("ignores answered formats we did not offer and takes the first one we did", () => {
    const answer = SIPP_UAS_ANSWER.replace(
      "m=audio 26000 RTP/AVP 0",
      "m=audio 26000 RTP/AVP 18 9 8",
    ).replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000");
    expect(parseAnswer(offer, answer).audio).toMatchObject({ codec: "PCMA", payloadType: 8 });
  });

  it("needs H.264 answers to keep our packetization-mode and profile", () => {
    for (const fmtp of [
      "packetization-mode=0;profile-level-id=42e01f",
      "profile-level-id=42e01f",
      "packetization-mode=1;profile-level-id=640028",
    ]) {
      const answer = SIPP_UAS_ANSWER.replace("packetization-mode=1;profile-level-id=42e01f", fmtp);
      expect(parseAnswer(offer, answer).video).toBeUndefined();
    }
    const lower = SIPP_UAS_ANSWER.replace("profile-level-id=42e01f", "profile-level-id=42e00d");
    expect(parseAnswer(offer, lower).video?.fmtp["profile-level-id"]).toBe("42e00d");
  });

  it("mirrors the answered direction into ours and agrees on rtcp-mux only when both did", () => {
    const muxOffer = createOffer({ ...OFFER_LOCAL, rtcpMux: true });
    const answer = SIPP_UAS_ANSWER.replace("a=sendrecv", "a=recvonly\r\na=rtcp-mux");
    const session = parseAnswer(muxOffer, answer);
    expect(session.audio).toMatchObject({
      direction: "sendonly",
      rtcpMux: true,
      remoteRtcpPort: 26000,
    });
    expect(session.video).toMatchObject({ direction: "sendrecv", rtcpMux: false });
    expect(parseAnswer(offer, answer).audio.rtcpMux).toBe(false);
  });

  it.each([
    ["fewer m-lines", SIPP_UAS_ANSWER.slice(0, SIPP_UAS_ANSWER.indexOf("m=video"))],
    [
      "swapped m-lines",
      SIPP_UAS_ANSWER.replace("m=audio", "m=xaudio")
        .replace("m=video", "m=audio")
        .replace("m=xaudio", "m=video"),
    ],
    ["other transport", SIPP_UAS_ANSWER.replace("m=audio 26000 RTP/AVP", "m=audio 26000 RTP/SAVP")],
  ])("refuses an answer with %s (SDP_ANSWER_MISMATCH)", (_name, answer) => {
    expect(codeOf(() => parseAnswer(offer, answer))).toBe("SDP_ANSWER_MISMATCH");
  });

  it.each([
    ["audio port 0", SIPP_UAS_ANSWER.replace("m=audio 26000", "m=audio 0")],
    [
      "no offered audio codec",
      SIPP_UAS_ANSWER.replace("RTP/AVP 0", "RTP/AVP 18").replace("rtpmap:0 PCMU", "rtpmap:18 G729"),
    ],
    ["FQDN address", SIPP_UAS_ANSWER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 uas.example.com")],
  ])("throws SDP_NO_ACCEPTABLE_AUDIO for %s", (_name, answer) => {
    expect(codeOf(() => parseAnswer(offer, answer))).toBe("SDP_NO_ACCEPTABLE_AUDIO");
  });
});

// --- Properties ------------------------------------------------------------------------------

const BASE_OFFERS = [
  SIPP_OFFER,
  BARESIP_OFFER,
  BARESIP_VP8_OFFER,
  LINPHONE_OFFER,
  LINPHONE_IPV6_OFFER,
  ASTERISK_AUDIO_OFFER,
  BFCP_OFFER,
];

/** HOSTILE_LINES are lines a fuzzer is unlikely to invent on its own. */
const HOSTILE_LINES = [
  "m=video 99999 RTP/AVP 96",
  "m=audio 5004/2 RTP/AVP 0",
  "m=audio 0 RTP/AVP 0",
  "m=application 9 UDP/BFCP *",
  "m=video 5000 RTP/AVP",
  `m=audio 5000 RTP/AVP ${Array.from({ length: 70 }, (_, i) => i).join(" ")}`,
  "m=audio 5000 RTP/AVP 0 0 0 0 128 999 x",
  "c=IN IP4 ::1",
  "c=IN IP6 fe80::1%eth0",
  "c=IN IP4 224.0.0.1/16",
  "c=IN IP6 ::",
  "c=IN IP4 0.0.0.0",
  "c=IN IP4 host.example",
  "a=rtpmap:96 H264/abc",
  "a=rtpmap:96 H264/90000/99999",
  "a=rtpmap:0 opus/48000/2",
  "a=rtpmap:101 telephone-event/48000",
  "a=fmtp:96 profile-level-id=zzzzzz;packetization-mode=1",
  "a=fmtp:96 profile-level-id=640028;packetization-mode=1",
  "a=fmtp:96 profile-level-id=42e01f;packetization-mode=2",
  "a=fmtp:96 __proto__=x;constructor=y",
  "a=rtcp-fb:* nack",
  "a=rtcp-fb:96 ccm fir",
  "a=rtcp:70000 IN IP4 1.2.3.4",
  "a=rtcp:5001 IN IP6 not-an-ip",
  "a=rtcp-mux",
  "a=mid:",
  "a=sendonly",
  "a=inactive",
  "a=recvonly",
  "v=0",
  "o=- x y IN IP9 ?",
  "",
];

type Mutation =
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "deleteLine"; readonly at: number }
  | { readonly op: "duplicateLine"; readonly at: number }
  | { readonly op: "swapLines"; readonly at: number; readonly to: number }
  | { readonly op: "replaceLine"; readonly at: number; readonly line: string }
  | { readonly op: "insertLine"; readonly at: number; readonly line: string }
  | { readonly op: "setChar"; readonly at: number; readonly text: string }
  | { readonly op: "insertText"; readonly at: number; readonly text: string }
  | { readonly op: "number"; readonly at: number; readonly value: string };

const anyLine = fc.oneof(
  fc.constantFrom(...HOSTILE_LINES),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("deleteLine" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("duplicateLine" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swapLines" as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant("replaceLine" as const), at: fc.nat(), line: anyLine }),
  fc.record({ op: fc.constant("insertLine" as const), at: fc.nat(), line: anyLine }),
  fc.record({
    op: fc.constant("setChar" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(
        " ",
        "0",
        "9",
        "/",
        ":",
        "=",
        "\r",
        "\n",
        "\t",
        "\0",
        "-",
        "*",
        "m",
        "c",
        "a",
      ),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    ),
  }),
  fc.record({
    op: fc.constant("insertText" as const),
    at: fc.nat(),
    text: fc.string({ unit: "binary", maxLength: 12 }),
  }),
  fc.record({
    op: fc.constant("number" as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(
        "0",
        "1",
        "127",
        "128",
        "65535",
        "65536",
        "99999999999999999999999",
        "-1",
        "",
      ),
      fc.integer().map(String),
    ),
  }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\r\n");
  const line = (at: number) => at % lines.length;
  switch (m.op) {
    case "truncate":
      return text.slice(0, m.at % (text.length + 1));
    case "deleteLine":
      lines.splice(line(m.at), 1);
      return lines.join("\r\n");
    case "duplicateLine":
      lines.splice(line(m.at), 0, lines[line(m.at)]!);
      return lines.join("\r\n");
    case "swapLines": {
      const a = line(m.at);
      const b = line(m.to);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join("\r\n");
    }
    case "replaceLine":
      lines[line(m.at)] = m.line;
      return lines.join("\r\n");
    case "insertLine":
      lines.splice(line(m.at), 0, m.line);
      return lines.join("\r\n");
    case "setChar": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at + 1);
    }
    case "insertText": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case "number": {
      const numbers = [...text.matchAll(/\d+/g)];
      const hit = numbers[m.at % Math.max(1, numbers.length)];
      if (hit === undefined) return text;
      return text.slice(0, hit.index) + m.value + text.slice(hit.index + hit[0].length);
    }
  }
}

const localArb: fc.Arbitrary<SdpLocalOptions> = fc.record({
  audioCodecs: fc
    .shuffledSubarray<AudioCodecName>(["PCMU", "PCMA", "opus", "telephone-event"], { minLength: 1 })
    .filter((list) => list.some((c) => c !== "telephone-event")),
  videoCodecs: fc.shuffledSubarray<VideoCodecName>(["H264", "VP8", "VP9"]),
  address: fc.constantFrom("192.0.2.10", "2001:db8::10"),
  audioPort: fc.constant(40000),
  videoPort: fc.constantFrom(40002, 0),
  sessionId: fc.constant("1"),
  sessionVersion: fc.constant(1),
  h264ProfileLevelIds: fc.constantFrom(["42e01f", "42001f"], ["42e01f"], ["640c28", "4d0032"]),
  audioDirection: fc.constantFrom<MediaDirection>("sendrecv", "sendonly", "recvonly", "inactive"),
});

describe("properties", () => {
  it("any mutation of the offers: an answer sdp-transform re-parses with as many m-lines, or a SipSignalingError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASE_OFFERS),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        localArb,
        (base, mutations, local) => {
          const text = mutations.reduce(mutate, base);
          let answer: ReturnType<typeof negotiateAnswer>;
          let offered: number;
          try {
            offered = parseSessionDescription(text).media.length;
            answer = negotiateAnswer(text, local);
          } catch (e) {
            if (!(e instanceof SipSignalingError)) throw e;
            return;
          }
          const back = reparsed(answer.sdp);
          expect(back.media).toHaveLength(offered);
          expect(reparsed(text).media).toHaveLength(offered);
          const ours = parseSessionDescription(answer.sdp);
          const theirs = parseSessionDescription(text);
          expect(ours.media.map((m) => m.media)).toEqual(theirs.media.map((m) => m.media));
          for (const m of ours.media) {
            const accepted = m.index === answer.audio.index || m.index === answer.video?.index;
            expect(m.port).toBe(
              !accepted ? 0 : m.index === answer.audio.index ? local.audioPort : local.videoPort,
            );
            expect(m.formats.length).toBeGreaterThan(0);
          }
          expect(answer.rejected.length + 1 + (answer.video === undefined ? 0 : 1)).toBe(offered);
        },
      ),
      { numRuns: Number(process.env.SDP_FUZZ_RUNS ?? 3000) },
    );
  });

  it("any mutation of an answer: parseAnswer returns a session or a SipSignalingError", () => {
    const offer = createOffer({
      ...OFFER_LOCAL,
      audioCodecs: ["PCMU", "PCMA", "opus", "telephone-event"],
      rtcpMux: true,
    });
    const ownAnswer = negotiateAnswer(offer, LOCAL).sdp;
    fc.assert(
      fc.property(
        fc.constantFrom(BARESIP_ANSWER, SIPP_UAS_ANSWER, ownAnswer),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        (base, mutations) => {
          const text = mutations.reduce(mutate, base);
          try {
            const session = parseAnswer(offer, text);
            expect(["PCMU", "PCMA", "opus"]).toContain(session.audio.codec);
            expect(session.audio.remotePort).toBeGreaterThan(0);
          } catch (e) {
            if (!(e instanceof SipSignalingError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("random text after v=0 never throws anything but SipSignalingError", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), localArb, (tail, local) => {
        try {
          negotiateAnswer(`v=0\r\n${tail}`, local);
        } catch (e) {
          if (!(e instanceof SipSignalingError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("createOffer → negotiateAnswer → parseAnswer agree on both sides", () => {
    const offerArb = localArb.chain((l) =>
      fc.record({ withVideo: fc.boolean(), rtcpMux: fc.boolean() }).map(
        (extra): SdpOfferOptions => ({
          ...l,
          ...extra,
          withVideo: extra.withVideo && l.videoPort !== 0 && l.videoCodecs.length > 0,
        }),
      ),
    );
    fc.assert(
      fc.property(offerArb, localArb, (caller, callee) => {
        const offer = createOffer(caller);
        const common = caller.audioCodecs.filter(
          (c) => c !== "telephone-event" && callee.audioCodecs.includes(c),
        );
        let answer: ReturnType<typeof negotiateAnswer>;
        try {
          answer = negotiateAnswer(offer, callee);
        } catch (e) {
          expect(e).toBeInstanceOf(SipSignalingError);
          expect((e as SipSignalingError).code).toBe("SDP_NO_ACCEPTABLE_AUDIO");
          expect(common).toEqual([]);
          return;
        }
        expect(answer.audio.codec).toBe(callee.audioCodecs.find((c) => common.includes(c)));
        const session = parseAnswer(offer, answer.sdp);
        expect(session.audio).toMatchObject({
          codec: answer.audio.codec,
          payloadType: answer.audio.payloadType,
          remotePort: callee.audioPort,
          remoteAddress: callee.address,
          rtcpMux: answer.audio.rtcpMux,
        });
        expect(session.audio.telephoneEventPt).toBe(answer.audio.telephoneEventPt);
        expect(session.video?.codec).toBe(answer.video?.codec);
        expect(session.video?.payloadType).toBe(answer.video?.payloadType);
        expect(session.video?.feedback).toEqual(answer.video?.feedback);
        // The caller's direction is what it offered, narrowed by the mirror of the answer's.
        expect(session.audio.direction).toBe(
          intersectDirection(
            caller.audioDirection ?? "sendrecv",
            mirrorDirection(answer.audio.direction),
          ),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
