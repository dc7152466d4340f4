/**
 * @framewire/test-support/peers: the harness of the tests against real third-party peers
 * (GStreamer, FFmpeg, SIPp, baresip and tshark, driven by the repository's peer scripts in
 * `tools/peers`, see its README.md; fixtures from `fixtures/`, see ./fixtures.ts). One concept a
 * file, listed here:
 *
 * - peer-test.ts: `itWithPeers(programs)` runs a test when every program is on the PATH, skips it
 *   locally when one is missing, and FAILS (naming what is missing) under CI=true; `peersDir()`.
 * - processes.ts: every child is spawned in a fresh process group under a hard SIGKILL deadline;
 *   killing a child reaches its whole tree; whatever still runs when the test process exits is
 *   killed; `startScript` children are also killed at cleanup.
 * - cleanup.ts: the per-test cleanup registry (`onCleanup` / `runCleanups`, `tempDir`).
 * - waiting.ts, pacing.ts: bounded waits and a drift-free pacer.
 * - ports.ts, relay-phone.ts: free UDP ports, counting sinks, a symmetric-RTP relay phone.
 * - captures.ts: tshark on `lo` and what a pcap holds (RTP packets, continuity, rtp-stats.sh).
 * - decode.ts: FFmpeg's decode of a file and GStreamer's of a pcap's H.264 RTP.
 * - raw-reference.ts: `referenceRawFrames`, the ffmpeg CLI's decode of a file to packed raw frames
 *   (i420, nv12, rgb24, bgr24, rgba, bgra, argb, abgr), to compare with `psnr` (psnr.ts).
 * - rtp-audio.ts: `decodeRtpAudioFromPcap`, a pcap's G.711 RTP (tshark) as 8 kHz samples, to look
 *   for tones with `dominantFrequency` / `toneLevels` (tone.ts); both throw MediaCheckError.
 * - report-parsers.ts, report.ts: the peers' reports read, and a test's figures printed.
 *
 * Everything binds and talks to 127.0.0.1 only.
 */
export {
  type Capture,
  continuity,
  type RtpContinuity,
  type RtpOnWire,
  type RtpStats,
  rtpMarkersBefore,
  rtpPackets,
  rtpStats,
  sipRequestCapturedAt,
  startCapture,
  withRtpCountsFromPortRange,
} from "./captures.js";
export { onCleanup, runCleanups, tempDir } from "./cleanup.js";
export {
  decodePcapH264,
  type FileDecode,
  type FileDecodeOptions,
  ffmpegDecodeFile,
  framecrcCrcs,
  framecrcFileCrcs,
  framecrcLines,
  type PcapDecode,
} from "./decode.js";
export { MediaCheckError, type MediaCheckErrorCode } from "./media-check-error.js";
export { type Paced, paced } from "./pacing.js";
export { itWithPeers, type PeerTest, peersDir } from "./peer-test.js";
export { freeUdpPorts, HOST, type UdpCounter, udpCounter } from "./ports.js";
export {
  type Child,
  type ChildOptions,
  type Finished,
  killAtCleanup,
  runScript,
  startChild,
  startScript,
} from "./processes.js";
export {
  RAW_REFERENCE_FORMATS,
  type RawReference,
  type RawReferenceFormat,
  type RawReferenceOptions,
  rawFrameBytes,
  referenceRawFrames,
} from "./raw-reference.js";
export { type RelayPhone, relayPhone } from "./relay-phone.js";
export { report } from "./report.js";
export {
  type BaresipReport,
  type GstDecode,
  type GstLogCounts,
  type GstLogSummary,
  gstLogCounts,
  kv,
  lastKvLine,
  parseBaresipReport,
  parseGstRecv,
  problemLines,
  sippCounter,
  summarizeGstLog,
  x264Frames,
} from "./report-parsers.js";
export { decodeRtpAudioFromPcap, type RtpAudio, type RtpAudioOptions } from "./rtp-audio.js";
export {
  type CounterWatch,
  readText,
  settle,
  sleep,
  waitForText,
  waitUntil,
  watchCounter,
} from "./waiting.js";
