// Parsers of what the peers print: the scripts' key=value lines, GStreamer's and libx264's logs,
// baresip-report.sh's report.
import { readText } from "./waiting.js";

/** kv reads every `key=value` of a line (a value runs to the next white space; `=bad` is no pair). */
export function kv(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z_][\w-]*)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * lastKvLine is the `key=value` pairs of the last line of `text` with a token that starts with
 * `key=` (undefined when there is none).
 */
export function lastKvLine(text: string, key: string): Record<string, string> | undefined {
  const line = text
    .split(/\r?\n/)
    .filter((l) => l.split(/\s+/).some((t) => t.startsWith(`${key}=`)))
    .at(-1);
  return line === undefined ? undefined : kv(line);
}

/**
 * sippCounter is the last value of a SIPp screen counter line (`-trace_screen`), e.g. 200 of
 * "Successful call | 0 | 200"; undefined when the screen has no such line or it ends in no number.
 */
export function sippCounter(screen: string, name: string): number | undefined {
  const last = screen
    .split(/\r?\n/)
    .filter((l) => l.trim().startsWith(name))
    .at(-1);
  if (last === undefined) return undefined;
  const n = Number(last.split("|").at(-1)?.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** GstDecode is gst-recv-h264.sh's summary line. */
export interface GstDecode {
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  readonly outBytes: number;
}

/** parseGstRecv reads `frames_decoded= warnings= errors= out_bytes=` (throws when absent). */
export function parseGstRecv(stdout: string): GstDecode {
  const s = lastKvLine(stdout, "frames_decoded");
  if (s === undefined) throw new Error(`no gst-recv summary in:\n${stdout}`);
  return {
    framesDecoded: Number(s.frames_decoded),
    warnings: Number(s.warnings),
    errors: Number(s.errors),
    outBytes: Number(s.out_bytes ?? 0),
  };
}

/** GstLogCounts is what a GStreamer log (GST_DEBUG=*:2, `-v`) says of a decode. */
export interface GstLogCounts {
  /** framesDecoded counts the chains of the fakesink named "frames" (one per decoded frame). */
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  /** warningLines are the WARN/WARNING lines themselves. */
  readonly warningLines: string[];
}

/** gstLogCounts counts a GStreamer log the way gst-recv-*.sh count it. */
export function gstLogCounts(log: string): GstLogCounts {
  const lines = log.split(/\r?\n/);
  const warningLines = lines.filter((l) => l.includes(" WARN ") || l.startsWith("WARNING"));
  return {
    framesDecoded: lines.filter((l) => l.includes("frames: last-message = chain")).length,
    warnings: warningLines.length,
    errors: lines.filter((l) => l.includes(" ERROR ") || l.startsWith("ERROR")).length,
    warningLines,
  };
}

/** GstLogSummary is {@link gstLogCounts} of a log file, with its text. */
export interface GstLogSummary extends GstLogCounts {
  readonly text: string;
}

/** summarizeGstLog reads a GStreamer log file ("" when absent) and counts it. */
export function summarizeGstLog(path: string): GstLogSummary {
  const text = readText(path);
  return { ...gstLogCounts(text), text };
}

/** problemLines are the first 30 WARN/ERROR lines of a GStreamer log (for failure messages). */
export function problemLines(log: string): string[] {
  return log
    .split(/\r?\n/)
    .filter((l) => / (WARN|ERROR) /.test(l) || /^(WARNING|ERROR)/.test(l))
    .slice(0, 30);
}

/** x264Frames reads libx264's end-of-encode summary ("frame I:n", "frame P:n"); undefined when absent. */
export function x264Frames(log: string): { i: number; p: number } | undefined {
  const i = /frame I:\s*(\d+)/.exec(log);
  if (i === null) return undefined;
  const p = /frame P:\s*(\d+)/.exec(log);
  return { i: Number(i[1]), p: p === null ? 0 : Number(p[1]) };
}

/** BaresipReport is what baresip-report.sh printed (through baresip-call.sh). */
export interface BaresipReport {
  readonly established: boolean;
  readonly videoPort: number | undefined;
  readonly videoSent: number;
  readonly videoRecv: number;
  readonly audioPort: number | undefined;
  readonly audioSent: number;
  readonly audioRecv: number;
  readonly recvPayloadTypes: string;
  /** lines: baresip's own log lines the report quotes (codecs, "receiving with resolution"). */
  readonly lines: string[];
}

/** parseBaresipReport reads what baresip-report.sh printed (0 packets where a port is missing). */
export function parseBaresipReport(stdout: string): BaresipReport {
  const v = /video port (\d+): sent=(\d+) recv=(\d+) packets/.exec(stdout);
  const a = /audio port (\d+): sent=(\d+) recv=(\d+) packets/.exec(stdout);
  return {
    established: /call_established=1/.test(stdout),
    videoPort: v === null ? undefined : Number(v[1]),
    videoSent: v === null ? 0 : Number(v[2]),
    videoRecv: v === null ? 0 : Number(v[3]),
    audioPort: a === null ? undefined : Number(a[1]),
    audioSent: a === null ? 0 : Number(a[2]),
    audioRecv: a === null ? 0 : Number(a[3]),
    recvPayloadTypes: /recv payload types:(.*)/.exec(stdout)?.[1]?.trim() ?? "",
    lines: stdout
      .split(/\r?\n/)
      .filter((l) => l.startsWith("  baresip:"))
      .map((l) => l.slice("  baresip:".length).trim()),
  };
}
