// Decode checks independent of our code: FFmpeg's decode of a file, GStreamer's of a pcap's RTP.
import { startChild } from "./processes.js";
import { gstLogCounts, problemLines } from "./report-parsers.js";
import { readText } from "./waiting.js";

/** framecrcLines are the data lines of FFmpeg framecrc text (`stream, dts, pts, duration, size, crc`). */
export function framecrcLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

/** framecrcCrcs are the CRCs (last column) of framecrc data lines, one per picture. */
export function framecrcCrcs(lines: readonly string[]): string[] {
  return lines.map((l) => l.split(",").at(-1)!.trim());
}

/** framecrcFileCrcs are the CRCs of a framecrc file (none when it does not exist). */
export function framecrcFileCrcs(path: string): string[] {
  return framecrcCrcs(framecrcLines(readText(path)));
}

/** FileDecode is what `ffmpeg -v error -i FILE -f framecrc -` made of a file. */
export interface FileDecode {
  /** frames is the number of decoded pictures (framecrc data lines). */
  readonly frames: number;
  /** crcLines are the framecrc data lines (`stream, dts, pts, duration, size, crc`). */
  readonly crcLines: string[];
  /** crcs: one adler32 per decoded picture, in output order. */
  readonly crcs: string[];
  /** errors counts the lines FFmpeg logged at level error or worse; a failed run with none is one. */
  readonly errors: number;
  /** log is FFmpeg's stderr (with a note when the deadline killed it). */
  readonly log: string;
  readonly code: number | null;
  readonly timedOut: boolean;
}

/** FileDecodeOptions: hard deadline (default 60 s), FFmpeg's `-err_detect` (default its own). */
export interface FileDecodeOptions {
  readonly timeoutMs?: number;
  readonly errDetect?: string;
}

/** ffmpegDecodeFile decodes a file with FFmpeg to frame CRCs, counting pictures and errors. */
export async function ffmpegDecodeFile(
  file: string,
  options: FileDecodeOptions = {},
): Promise<FileDecode> {
  const args = ["-hide_banner", "-nostdin", "-v", "error"];
  if (options.errDetect !== undefined) args.push("-err_detect", options.errDetect);
  args.push("-i", file, "-f", "framecrc", "-");
  const r = await startChild("ffmpeg", args, { timeoutMs: options.timeoutMs ?? 60_000 }).done;
  const crcLines = framecrcLines(r.stdout);
  const errorLines = r.stderr.split(/\r?\n/).filter((l) => l.trim() !== "");
  return {
    frames: crcLines.length,
    crcLines,
    crcs: framecrcCrcs(crcLines),
    // a failed run with nothing logged (crash, deadline) still counts as an error
    errors: errorLines.length + (r.code !== 0 && errorLines.length === 0 ? 1 : 0),
    log: r.timedOut ? `${r.stderr}[ffmpegDecodeFile: killed after the deadline]\n` : r.stderr,
    code: r.code,
    timedOut: r.timedOut,
  };
}

/** PcapDecode is what GStreamer decoded of the H.264 RTP one port received in a pcap. */
export interface PcapDecode {
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  readonly problems: string[];
}

/**
 * decodePcapH264 decodes, with GStreamer and independently of our code, the H.264 RTP that a pcap
 * holds for UDP destination port `port` and payload type `pt`: filesrc ! pcapparse !
 * rtpjitterbuffer ! rtph264depay ! h264parse ! avdec_h264 ! fakesink, counting the frames the
 * decoder hands out and the WARN/ERROR lines (GST_DEBUG=*:2), as gst-recv-h264.sh does.
 */
export async function decodePcapH264(pcap: string, port: number, pt: number): Promise<PcapDecode> {
  const caps = `application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=${pt}`;
  const r = await startChild(
    "gst-launch-1.0",
    [
      ...["-e", "-v", "filesrc", `location=${pcap}`, "!", "pcapparse", `dst-port=${port}`],
      ...["!", caps, "!", "rtpjitterbuffer", "latency=200", "!", "rtph264depay"],
      ...["!", "h264parse", "!", "avdec_h264", "!", "fakesink", "name=frames", "silent=false"],
      "sync=false",
    ],
    { timeoutMs: 60_000, env: { GST_DEBUG: "*:2", GST_DEBUG_NO_COLOR: "1" } },
  ).done;
  const log = r.stdout + r.stderr;
  const counts = gstLogCounts(log);
  return {
    framesDecoded: counts.framesDecoded,
    warnings: counts.warnings,
    errors: counts.errors + (r.code === 0 ? 0 : 1),
    problems: problemLines(log),
  };
}
