// GStreamer anchor measured in the same run as ours, on the same packets: rtph264depay and
// rtph264pay in gst-launch-1.0, file -> fakesink, each pipeline run RUNS times, alternating with
// the same pipeline without the element under test; "alone" = packets / (median with − median
// without). The method of tools/peers/bench-depay.sh at the repository root (which takes the best
// run, not the median), on our benchmark's own input, so that a ratio ours/GStreamer needs no
// figure from another time of day on a shared machine.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface GstAnchor {
  /** rtph264depay alone, packets/s (median of runs); NaN when noise hid it (too few runs). */
  readonly depayPps: number;
  /** rtph264pay alone, packets/s (median of runs). */
  readonly payPps: number;
  readonly runs: number;
  /** wall-time medians in seconds, for the record. */
  readonly seconds: { base: number; depay: number; pbase: number; pay: number };
}

const STREAM_CAPS =
  "application/x-rtp-stream,media=video,clock-rate=90000,encoding-name=H264,payload=96";

export function hasGstreamer(): boolean {
  const r = spawnSync("gst-inspect-1.0", ["rtph264depay"], { stdio: "ignore", timeout: 20_000 });
  return r.status === 0;
}

/**
 * measureGstAnchor writes `datagrams` (RFC 4571 framing) and the access units (Annex-B) to `dir`
 * and times the four pipelines `runs` times each.
 */
export function measureGstAnchor(
  dir: string,
  packets: number,
  datagram: (i: number) => Uint8Array,
  annexB: Uint8Array,
  runs: number,
): GstAnchor {
  const rtpFile = join(dir, "anchor.rtpstream");
  const h264File = join(dir, "anchor.h264");
  let size = 0;
  for (let i = 0; i < packets; i++) size += 2 + datagram(i).length;
  const framed = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < packets; i++) {
    const d = datagram(i);
    framed[o] = d.length >> 8;
    framed[o + 1] = d.length & 0xff;
    framed.set(d, o + 2);
    o += 2 + d.length;
  }
  writeFileSync(rtpFile, framed);
  writeFileSync(h264File, annexB);
  const pipelines = {
    base: ["filesrc", `location=${rtpFile}`, "!", STREAM_CAPS, "!", "rtpstreamdepay"],
    depay: [
      ...["filesrc", `location=${rtpFile}`, "!", STREAM_CAPS, "!", "rtpstreamdepay"],
      ...["!", "rtph264depay"],
    ],
    pbase: ["filesrc", `location=${h264File}`, "!", "h264parse"],
    pay: [
      ...["filesrc", `location=${h264File}`, "!", "h264parse"],
      ...["!", "rtph264pay", "pt=96", "mtu=1200"],
    ],
  };
  const times: Record<keyof typeof pipelines, number[]> = {
    base: [],
    depay: [],
    pbase: [],
    pay: [],
  };
  for (let r = 0; r < runs; r++) {
    for (const key of ["base", "depay", "pbase", "pay"] as const) {
      const t = performance.now();
      const p = spawnSync(
        "gst-launch-1.0",
        ["-q", ...pipelines[key], "!", "fakesink", "sync=false"],
        { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
      );
      if (p.status !== 0) {
        throw new Error(`gst-launch-1.0 ${key} failed (${p.status}): ${p.stderr?.toString()}`);
      }
      times[key].push((performance.now() - t) / 1000);
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  const seconds = {
    base: median(times.base),
    depay: median(times.depay),
    pbase: median(times.pbase),
    pay: median(times.pay),
  };
  const alone = (withIt: number, without: number): number =>
    withIt > without ? packets / (withIt - without) : Number.NaN; // noise larger than the element
  return {
    depayPps: alone(seconds.depay, seconds.base),
    payPps: alone(seconds.pay, seconds.pbase),
    runs,
    seconds,
  };
}
