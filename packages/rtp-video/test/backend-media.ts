/**
 * Media helpers of test/backend-peers.test.ts that only it uses: G.711 μ-law decoding, WAV
 * parsing, a gst-launch runner that logs to a file (so a test can wait until the pipeline is
 * PLAYING) and stops on one SIGINT, and vpxenc's frame sizes. The shared ones (access units, IVF,
 * pacing, GStreamer log counts) are @framewire/test-support's.
 */
import { readFileSync } from "node:fs";
import { type Child, startChild } from "@framewire/test-support/peers";

// ---------------------------------------------------------------------------
// Audio

/** ulawToLinear decodes one G.711 μ-law byte to a 16-bit sample (ITU-T G.711 table). */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (u & 0x80) !== 0 ? -magnitude : magnitude;
}

export interface WavInfo {
  readonly format: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** dataBytes as the data chunk header says. */
  readonly dataBytes: number;
  /** data is the data chunk (clipped to the file). */
  readonly data: Buffer;
  /** durationS from the data chunk's size. */
  readonly durationS: number;
}

/** readWav parses the RIFF chunks of a WAV file (fmt and data). */
export function readWav(path: string): WavInfo {
  const b = readFileSync(path);
  if (b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE") {
    throw new Error(`${path}: not a RIFF/WAVE file (${b.length} bytes)`);
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let off = 12;
  while (off + 8 <= b.length) {
    const id = b.toString("latin1", off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === "fmt ") {
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (fmt === undefined) throw new Error(`${path}: data before fmt`);
      const data = b.subarray(body, Math.min(b.length, body + size));
      return {
        format: fmt.format,
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        dataBytes: size,
        data,
        durationS: size / (fmt.sampleRate * fmt.channels * (fmt.bits / 8)),
      };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

// ---------------------------------------------------------------------------
// gst-launch-1.0

export interface GstRun {
  readonly proc: Child;
  /** log is the file gst-launch's stdout and stderr go to. */
  readonly log: string;
}

/**
 * startGst runs `gst-launch-1.0 -e -v ARGS` in its own process group with GST_DEBUG=*:2 (so
 * WARN/ERROR debug lines can be counted), its output in `log`, under a hard deadline. `-e`
 * turns a SIGINT into an EOS, so muxers finish their files.
 */
export function startGst(args: string[], log: string, timeoutMs: number): GstRun {
  const proc = startChild(
    "bash",
    ["-c", 'exec "$@" >"$GST_LOG" 2>&1', "bash", "gst-launch-1.0", "-e", "-v", ...args],
    {
      timeoutMs,
      env: { GST_LOG: log, GST_DEBUG: "*:2", GST_DEBUG_NO_COLOR: "1" },
    },
  );
  return { proc, log };
}

// ---------------------------------------------------------------------------
// Encoders' own logs

/**
 * vpxEncodedFrames reads GStreamer vpxenc's DEBUG lines "packet SIZE type 0" (one per
 * compressed frame libvpx hands out, VPX_CODEC_CX_FRAME_PKT): the frame sizes, in order.
 */
export function vpxEncodedFrames(log: string): number[] {
  return [...log.matchAll(/gst_vpx_enc_process:.* packet (\d+) type 0\b/g)].map((m) =>
    Number(m[1]),
  );
}
