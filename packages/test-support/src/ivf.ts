// IVF, the libvpx test container (32-byte file header, 12-byte frame headers, little endian),
// and the size a VP8 keyframe states.
import { readFileSync } from "node:fs";

/** IvfFile is a parsed IVF file: its header fields and its frames with their pts. */
export interface IvfFile {
  readonly fourcc: string;
  readonly width: number;
  readonly height: number;
  readonly timebaseDen: number;
  readonly timebaseNum: number;
  readonly frames: { readonly data: Uint8Array; readonly pts: bigint }[];
}

/** readIvf parses an IVF file; throws on a bad signature or a truncated frame. */
export function readIvf(path: string): IvfFile {
  const b = readFileSync(path);
  if (b.length < 32 || b.toString("latin1", 0, 4) !== "DKIF") throw new Error(`${path}: not IVF`);
  const headerSize = b.readUInt16LE(6);
  const frames: { data: Uint8Array; pts: bigint }[] = [];
  let off = headerSize;
  while (off < b.length) {
    if (off + 12 > b.length) throw new Error(`${path}: truncated frame header at ${off}`);
    const size = b.readUInt32LE(off);
    const pts = b.readBigUInt64LE(off + 4);
    off += 12;
    if (off + size > b.length) throw new Error(`${path}: truncated frame at ${off}`);
    frames.push({ data: new Uint8Array(b.subarray(off, off + size)), pts });
    off += size;
  }
  return {
    fourcc: b.toString("latin1", 8, 12),
    width: b.readUInt16LE(12),
    height: b.readUInt16LE(14),
    timebaseDen: b.readUInt32LE(16),
    timebaseNum: b.readUInt32LE(20),
    frames,
  };
}

/**
 * ivfBytes writes an IVF file: fourcc, size, a 1/1000 time base (pts in ms) and the frames in
 * order; a pts that does not increase is nudged to the previous one + 1, as IVF wants.
 */
export function ivfBytes(
  fourcc: string,
  width: number,
  height: number,
  frames: readonly { readonly data: Uint8Array; readonly ptsMs: number }[],
): Buffer {
  const header = Buffer.alloc(32);
  header.write("DKIF", 0, "latin1");
  header.writeUInt16LE(0, 4); // version
  header.writeUInt16LE(32, 6); // header size
  header.write(fourcc, 8, "latin1");
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(1000, 16); // time base denominator
  header.writeUInt32LE(1, 20); // time base numerator
  header.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [header];
  let last = -1;
  for (const f of frames) {
    const pts = Math.max(Math.round(f.ptsMs), last + 1);
    last = pts;
    const h = Buffer.alloc(12);
    h.writeUInt32LE(f.data.length, 0);
    h.writeBigUInt64LE(BigInt(pts), 4);
    parts.push(h, Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length));
  }
  return Buffer.concat(parts);
}

/** vp8Size reads width/height of a VP8 keyframe (RFC 6386 §9.1), undefined otherwise. */
export function vp8Size(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || (frame[0]! & 1) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  return {
    width: (frame[6]! | (frame[7]! << 8)) & 0x3fff,
    height: (frame[8]! | (frame[9]! << 8)) & 0x3fff,
  };
}
