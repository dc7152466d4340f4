// The SDP mutator: input `index` is an SDP body built from a random offer (or answer) of audio
// and video (PCMU / PCMA / opus / telephone-event, H.264 / VP8 / VP9, RTX, rtcp-fb, rtcp-mux,
// a=rtcp, sprop-parameter-sets, ssrc-group), then, most of the time, made hostile: attributes
// with absurd values, too many m-lines or formats, lines removed, duplicated or reordered, bad
// line ends, NULs and non-UTF-8 bytes, byte-level damage. Drawn from fuzzRandom(seed, index).
import { type FuzzRandom, fuzzRandom, mutateBytes } from "@framewire/test-support";

/** SdpInput is one SDP body with the mutation that made it ("clean" for none). */
export interface SdpInput {
  readonly text: string;
  readonly mutation: string;
}

const HOSTILE_ATTRIBUTES = [
  "a=rtpmap:96 H264/0",
  "a=rtpmap:96 H264/-90000",
  "a=rtpmap:96 H264/90000/2/3",
  "a=rtpmap:300 PCMU/8000",
  "a=rtpmap:0 PCMU/8000/99999999999999999999",
  "a=rtpmap:96",
  "a=rtpmap:",
  "a=fmtp:96 profile-level-id=zzzzzz;packetization-mode=7",
  "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;packetization-mode=0",
  "a=fmtp:96 sprop-parameter-sets=!!!!,????",
  "a=fmtp:96 sprop-parameter-sets=Z0LgH5WoFAFuQA==,aM48gA==,,,,",
  `a=fmtp:96 sprop-parameter-sets=${"Z0Lg".repeat(600)}`,
  `a=fmtp:96 ${Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join(";")}`,
  "a=fmtp:97 apt=96;apt=97",
  "a=fmtp:97 apt=-1",
  "a=fmtp:* x=y",
  "a=rtcp:0 IN IP4 127.0.0.1",
  "a=rtcp:70000",
  "a=rtcp:5005 IN IP6 ::1",
  "a=rtcp:5005 IN IP4 host.example.com",
  "a=rtcp:",
  "a=rtcp-fb:* nack pli",
  "a=rtcp-fb:96 nack nack nack",
  `a=rtcp-fb:96 ${"x".repeat(2000)}`,
  "a=rtcp-mux",
  "a=rtcp-mux-only",
  "a=sendonly",
  "a=recvonly",
  "a=inactive",
  "a=sendrecv",
  "a=mid:",
  "a=group:BUNDLE 0 1 2 3",
  "a=ssrc-group:FID 1",
  "a=ssrc-group:FID 4294967296 -1",
  "a=ssrc:1 cname:",
  "a=ssrc:99999999999 cname:x",
  "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:xyz",
  "a=ptime:-20",
  "a=maxptime:0",
  "a=",
  "a=:",
  `a=${"z".repeat(10_000)}`,
  "b=AS:-1",
  "b=TIAS:99999999999999999999",
  "c=IN IP4 999.1.1.1",
  "c=IN IP6 ::ffff:zz",
  "c=IN IP4 0.0.0.0",
  "c=IN IP4 224.2.1.1/127/3",
  "c=IN IP4 host.example.com",
  "c=IN IP6 [::1]",
  "c=",
  "k=clear:secret",
  "x=unknown",
  "=",
  "v=1",
  "v=0",
  "o=",
  "s=",
  "t=9999999999999999999999 0",
  "\u0000",
  "a=fmtp:96 packetization-mode=1\u0000;profile-level-id=42e01f",
];

const HOSTILE_MEDIA = [
  "m=video 99999 RTP/AVP 96",
  "m=video 0 RTP/AVP",
  "m=video 5004 RTP/AVP",
  "m=audio -1 RTP/AVP 0",
  "m=audio 4000/2 RTP/AVP 0",
  "m=audio 4000 RTP/SAVPF 111",
  "m=audio 4000 UDP/TLS/RTP/SAVPF 0",
  "m=application 5000 UDP/BFCP *",
  "m=image 5000 udptl t38",
  "m=text 5000 RTP/AVP 98",
  "m=audio 4000 RTP/AVP 0 0 0 0",
  "m=audio 4000 RTP/AVP 128",
  "m=audio 4000 RTP/AVP a b c",
  `m=audio 4000 RTP/AVP ${Array.from({ length: 100 }, (_, i) => i).join(" ")}`,
  "m=",
  "m=audio",
];

function audioSection(r: FuzzRandom, port: number): string[] {
  const codecs = [
    ["0", "PCMU/8000"],
    ["8", "PCMA/8000"],
    ["111", "opus/48000/2"],
    ["101", "telephone-event/8000"],
  ].filter(() => r.chance(0.7));
  if (codecs.length === 0) codecs.push(["0", "PCMU/8000"]);
  const lines = [`m=audio ${port} RTP/AVP ${codecs.map((c) => c[0]).join(" ")}`];
  for (const [pt, map] of codecs) lines.push(`a=rtpmap:${pt} ${map}`);
  if (codecs.some((c) => c[0] === "101")) lines.push("a=fmtp:101 0-15");
  if (r.chance(0.3)) lines.push(r.pick(["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"]));
  if (r.chance(0.3)) lines.push(`a=rtcp:${port + 1}`);
  if (r.chance(0.2)) lines.push("a=rtcp-mux");
  if (r.chance(0.2)) lines.push("a=ptime:20");
  return lines;
}

function videoSection(r: FuzzRandom, port: number): string[] {
  const formats: string[] = [];
  const lines: string[] = [];
  if (r.chance(0.8)) {
    formats.push("96");
    lines.push("a=rtpmap:96 H264/90000");
    const mode = r.pick(["1", "0", "2", "1"]);
    const profile = r.pick(["42e01f", "42001f", "4d001f", "640028", "42e00a", "f4001f"]);
    const sprop = r.chance(0.3) ? ";sprop-parameter-sets=Z0LgH5WoFAFuQA==,aM48gA==" : "";
    lines.push(`a=fmtp:96 packetization-mode=${mode};profile-level-id=${profile}${sprop}`);
  }
  if (r.chance(0.5)) {
    formats.push("98");
    lines.push("a=rtpmap:98 VP8/90000");
  }
  if (r.chance(0.4)) {
    formats.push("100");
    lines.push("a=rtpmap:100 VP9/90000", `a=fmtp:100 profile-id=${r.int(4)}`);
  }
  if (r.chance(0.4)) {
    formats.push("97");
    lines.push("a=rtpmap:97 rtx/90000", `a=fmtp:97 apt=${r.pick(["96", "98", "100", "55"])}`);
    if (r.chance(0.5))
      lines.push("a=ssrc-group:FID 1111 2222", "a=ssrc:1111 cname:x", "a=ssrc:2222 cname:x");
  }
  if (formats.length === 0) {
    formats.push("96");
    lines.push("a=rtpmap:96 H264/90000");
  }
  for (const pt of formats) {
    if (r.chance(0.5)) lines.push(`a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`);
    if (r.chance(0.3)) lines.push(`a=rtcp-fb:${pt} ccm fir`);
  }
  if (r.chance(0.3)) lines.push(r.pick(["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"]));
  if (r.chance(0.2)) lines.push("a=rtcp-mux");
  return [`m=video ${port} RTP/AVP ${formats.join(" ")}`, ...lines];
}

/** sdpBody is a well-formed offer or answer with audio and (usually) video. */
export function sdpBody(r: FuzzRandom): string[] {
  const host = r.pick(["127.0.0.1", "192.0.2.7", "::1", "10.0.0.1"]);
  const family = host.includes(":") ? "IP6" : "IP4";
  const lines = [
    "v=0",
    `o=- ${r.int(2 ** 31)} ${r.int(100)} IN ${family} ${host}`,
    "s=-",
    `c=IN ${family} ${host}`,
    "t=0 0",
  ];
  const audioFirst = r.chance(0.8);
  const audio = audioSection(r, 20_000 + 2 * r.int(1000));
  const video = r.chance(0.85) ? videoSection(r, 30_000 + 2 * r.int(1000)) : [];
  return audioFirst ? [...lines, ...audio, ...video] : [...lines, ...video, ...audio];
}

const LINE_ENDS = ["\r\n", "\n", "\r", "\r\r\n", "\n\r"] as const;

/** mutateSdpLines damages an SDP line list (one structure-aware mutation) and joins it. */
export function mutateSdp(r: FuzzRandom, lines: string[]): SdpInput {
  let mutation: string;
  const at = () => r.int(lines.length + 1);
  switch (r.int(12)) {
    case 0:
      mutation = "hostile-attribute";
      for (let i = 0, n = 1 + r.int(4); i < n; i++)
        lines.splice(at(), 0, r.pick(HOSTILE_ATTRIBUTES));
      break;
    case 1:
      mutation = "hostile-media";
      lines.splice(at(), 0, r.pick(HOSTILE_MEDIA));
      break;
    case 2:
      mutation = "too-many-media";
      for (let i = 0, n = 10 + r.int(20); i < n; i++)
        lines.push(`m=audio ${2000 + 2 * i} RTP/AVP 0`);
      break;
    case 3:
      mutation = "line-removed";
      for (let i = 0, n = 1 + r.int(3); i < n && lines.length > 0; i++)
        lines.splice(r.int(lines.length), 1);
      break;
    case 4:
      mutation = "line-duplicated";
      if (lines.length > 0) {
        const l = lines[r.int(lines.length)]!;
        for (let i = 0, n = 1 + r.int(r.chance(0.1) ? 500 : 3); i < n; i++)
          lines.splice(at(), 0, l);
      }
      break;
    case 5:
      mutation = "lines-shuffled";
      for (let i = lines.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      }
      break;
    case 6: {
      mutation = "line-ends";
      const end = r.pick(LINE_ENDS);
      return { text: lines.join(end) + (r.chance(0.5) ? end : ""), mutation };
    }
    case 7:
      mutation = "nul-or-control";
      if (lines.length > 0) {
        const i = r.int(lines.length);
        const l = lines[i]!;
        const p = r.int(l.length + 1);
        lines[i] =
          l.slice(0, p) + r.pick(["\u0000", "\u0001", "\u007f", "\t", " ", "\u00a0"]) + l.slice(p);
      }
      break;
    case 8: {
      mutation = "non-utf8";
      const bytes = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
      const out = bytes.slice();
      for (let i = 0, n = 1 + r.int(6); i < n && out.length > 0; i++)
        out[r.int(out.length)] = 0x80 + r.int(128);
      return { text: new TextDecoder().decode(out), mutation };
    }
    case 9: {
      mutation = "huge-value";
      if (lines.length > 0)
        lines[r.int(lines.length)] += "9".repeat(r.chance(0.2) ? 70_000 : 1 + r.int(3000));
      break;
    }
    case 10: {
      mutation = "field-value";
      // a field of a line replaced: ports, payload types, addresses, clock rates
      if (lines.length > 0) {
        const i = r.int(lines.length);
        const parts = lines[i]!.split(/([ :/=;])/);
        const k = r.int(parts.length);
        parts[k] = r.pick([
          "",
          "0",
          "-1",
          "65536",
          "4294967296",
          "NaN",
          "*",
          "::",
          "1e9",
          "0x10",
          "٣",
        ]);
        lines[i] = parts.join("");
      }
      break;
    }
    default: {
      mutation = "bytes";
      const bytes = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
      return { text: new TextDecoder().decode(mutateBytes(r, bytes, 6)), mutation };
    }
  }
  return { text: `${lines.join("\r\n")}\r\n`, mutation };
}

/** sdpMutator returns the input maker: (seed, index) → SDP text and mutation name. */
export function sdpMutator(): (seed: number, index: number) => SdpInput {
  return (seed, index) => {
    const r = fuzzRandom(seed, index, 3);
    const lines = sdpBody(r);
    if (r.chance(0.2)) return { text: `${lines.join("\r\n")}\r\n`, mutation: "clean" };
    return mutateSdp(r, lines);
  };
}
