// The seed corpora of the RTP fuzzers: well-formed payloads of one stream per codec, in sending
// order, which the mutators put behind RTP headers and damage. H.264 is the fixture stream
// (fixtures/test.h264) packetized at two MTUs (single NAL, STAP-A, FU-A); VP8 and VP9 are
// synthetic key and inter frames (valid frame headers, random bodies) packetized with their
// descriptors; audio is 20 ms PCMU frames.
import { readFileSync } from "node:fs";
import { FuzzRandom, h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  H264Packetizer,
  joinAnnexB,
  type Packetizer,
  splitAnnexB,
  Vp8Packetizer,
  Vp9Packetizer,
} from "../src/index.js";

/** CorpusPacket is one payload of a stream with its RTP timestamp and marker bit. */
export interface CorpusPacket {
  readonly payload: Uint8Array;
  readonly timestamp: number;
  readonly marker: boolean;
}

/** StreamCorpus is one loop of a stream; the next loop repeats it `loopTicks` later. */
export interface StreamCorpus {
  readonly codec: "h264" | "vp8" | "vp9" | "pcmu";
  readonly packets: readonly CorpusPacket[];
  readonly loopTicks: number;
}

function packetizeFrames(
  frames: readonly Uint8Array[],
  packetizer: Packetizer,
  ticksPerFrame: number,
): CorpusPacket[] {
  const out: CorpusPacket[] = [];
  frames.forEach((frame, k) => {
    const payloads: Uint8Array[] = [];
    packetizer.packetize(frame, (p) => payloads.push(p.slice()));
    payloads.forEach((payload, i) => {
      out.push({ payload, timestamp: k * ticksPerFrame, marker: i === payloads.length - 1 });
    });
  });
  return out;
}

/** h264Corpus is 60 access units of fixtures/test.h264 at MTU 1200, then the same at MTU 300. */
export function h264Corpus(): StreamCorpus {
  const aus = h264AccessUnits(readFileSync(fixture("test.h264")), { splitAnnexB, joinAnnexB });
  const frames = aus.units.slice(0, 60);
  const a = packetizeFrames(frames, new H264Packetizer({ mtu: 1200 }), 3000);
  const b = packetizeFrames(frames, new H264Packetizer({ mtu: 300 }), 3000).map((p) => ({
    ...p,
    timestamp: p.timestamp + 60 * 3000,
  }));
  return { codec: "h264", packets: [...a, ...b], loopTicks: 120 * 3000 };
}

/** vp8Frame is a VP8 frame (RFC 6386 §9.1): a key frame with start code and size, or an inter frame. */
function vp8Frame(r: FuzzRandom, key: boolean, size: number): Uint8Array {
  const f = r.bytes(Math.max(10, size));
  const first = Math.min(f.length - 10, 0x7ffff);
  if (key) {
    f[0] = 0x10 | ((first & 7) << 5);
    f[1] = (first >>> 3) & 0xff;
    f[2] = first >>> 11;
    f.set([0x9d, 0x01, 0x2a, 320 & 0xff, 320 >> 8, 240 & 0xff, 240 >> 8], 3);
  } else f[0] = f[0]! | 0x01;
  return f;
}

/** vp8Corpus is 60 synthetic VP8 frames (a key frame every 30) with 15-bit picture IDs. */
export function vp8Corpus(): StreamCorpus {
  const r = new FuzzRandom(0x0f8);
  const frames = Array.from({ length: 60 }, (_, k) =>
    vp8Frame(r, k % 30 === 0, k % 30 === 0 ? 4000 : 200 + r.int(1500)),
  );
  const p = new Vp8Packetizer({ mtu: 700, pictureId: "15bit", random: () => 0.25 });
  return { codec: "vp8", packets: packetizeFrames(frames, p, 3000), loopTicks: 60 * 3000 };
}

/** bitsOf packs [value, width] fields most significant bit first (VP9 uncompressed header). */
function bitsOf(fields: readonly (readonly [number, number])[]): number[] {
  const out: number[] = [];
  let acc = 0;
  let count = 0;
  for (const [value, width] of fields) {
    for (let i = width - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(value / 2 ** i) & 1);
      if (++count === 8) {
        out.push(acc);
        acc = 0;
        count = 0;
      }
    }
  }
  if (count > 0) out.push(acc << (8 - count));
  return out;
}

/** vp9Frame is a VP9 frame (VP9 spec §6.2): a shown 320×240 key frame, or a shown inter frame. */
function vp9Frame(r: FuzzRandom, key: boolean, size: number): Uint8Array {
  const head = key
    ? bitsOf([
        [2, 2], // frame_marker
        [0, 1], // profile_low_bit
        [0, 1], // profile_high_bit
        [0, 1], // show_existing_frame
        [0, 1], // frame_type KEY_FRAME
        [1, 1], // show_frame
        [0, 1], // error_resilient_mode
        [0x49, 8],
        [0x83, 8],
        [0x42, 8], // frame_sync_code
        [2, 3], // color_space BT.601
        [0, 1], // color_range
        [319, 16],
        [239, 16],
      ])
    : bitsOf([
        [2, 2],
        [0, 1],
        [0, 1],
        [0, 1],
        [1, 1], // NON_KEY_FRAME
        [1, 1],
        [0, 1],
        [0, 2],
        [0x01, 8],
        [0, 12],
        [1, 1],
      ]);
  const f = r.bytes(Math.max(head.length + 3, size));
  f.set(head);
  return f;
}

/** vp9Corpus is 60 synthetic VP9 frames (a key frame every 30), flexible-mode descriptors. */
export function vp9Corpus(): StreamCorpus {
  const r = new FuzzRandom(0x0f9);
  const frames = Array.from({ length: 60 }, (_, k) =>
    vp9Frame(r, k % 30 === 0, k % 30 === 0 ? 4000 : 200 + r.int(1500)),
  );
  const p = new Vp9Packetizer({ mtu: 700, random: () => 0.25 });
  return { codec: "vp9", packets: packetizeFrames(frames, p, 3000), loopTicks: 60 * 3000 };
}

/** pcmuCorpus is 50 frames of 20 ms PCMU (160 bytes each). */
export function pcmuCorpus(): StreamCorpus {
  const r = new FuzzRandom(0x0a0);
  const packets = Array.from({ length: 50 }, (_, k) => ({
    payload: r.bytes(160),
    timestamp: k * 160,
    marker: k === 0,
  }));
  return { codec: "pcmu", packets, loopTicks: 50 * 160 };
}
