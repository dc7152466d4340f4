import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { splitAccessUnits } from "@framewire/rtp-video";
import { type DecodeResult, decodeH264File } from "./av.js";
import { DemoBridge } from "./bridge.js";
import { DemoCaller } from "./caller.js";
import { demoMetrics } from "./metrics.js";
import type { DemoOptions } from "./options.js";
import { type BridgeView, DemoState } from "./state.js";
import { LiveView, renderView } from "./terminal.js";
import { Thumbnails } from "./thumbnails.js";
import { type Dashboard, startDashboard } from "./web.js";

/** CallerSummary is one built-in caller's result at the end of the run. */
export interface CallerSummary {
  readonly name: string;
  readonly state: string;
  readonly sentFrames: number;
  /** peerSentFrames is what the other caller(s) sent (the most of them, for more than two). */
  readonly peerSentFrames: number;
  readonly receivedFrames: number;
  /** receivedRatio is receivedFrames / peerSentFrames. */
  readonly receivedRatio: number;
  /** receivedFromClip: received frames byte-identical to a frame of the clip the peers send. */
  readonly receivedFromClip: number;
  readonly receivedAudioPackets: number;
  readonly file: string;
  readonly fileBytes: number;
  readonly decode: DecodeResult | { readonly error: string };
  /** ok: the recording decodes, with at least one frame. */
  readonly ok: boolean;
}

/** DemoSummary is what the run printed at the end and wrote to summary.json. */
export interface DemoSummary {
  readonly durationMs: number;
  readonly sipUri: string | undefined;
  readonly callers: readonly CallerSummary[];
  /** bridge: the bridge's totals just before hang-up. */
  readonly bridge: BridgeView | undefined;
  /** afterStop: what the bridge still held once stopped (all 0 after a clean shutdown). */
  readonly afterStop: { readonly portsInUse: number; readonly sessions: number } | undefined;
  readonly exitCode: number;
}

/** Output is where the demo writes (stdout and stderr by default). */
export interface DemoIo {
  readonly out: NodeJS.WriteStream;
  readonly err: NodeJS.WritableStream;
}

const DRAIN_MS = 600;

function dialHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * runDemo runs the demo until `stop` resolves (Ctrl-C, SIGTERM, --duration), then hangs up,
 * checks the recordings and resolves with the summary.
 */
export async function runDemo(
  options: DemoOptions,
  stop: Promise<unknown>,
  io: DemoIo = { out: process.stdout, err: process.stderr },
): Promise<DemoSummary> {
  await mkdir(options.outDir, { recursive: true });
  const log = (line: string) => io.out.write(`${line}\n`);

  let bridge: DemoBridge | undefined;
  let sipUri: string | undefined;
  let target = options.call;
  if (options.call === undefined) {
    bridge = new DemoBridge({
      host: options.host,
      port: options.port,
      rtpPortStart: options.rtpPortStart,
      audio: options.audio,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    });
    const port = await bridge.start();
    sipUri = `sip:${options.room}@${formatHost(options.host)}:${port}`;
    target = `sip:${options.room}@${formatHost(dialHost(options.host))}:${port}`;
    log(
      `SIP bridge listening on ${sipUri} (any room: sip:<room>@${formatHost(options.host)}:${port})`,
    );
  }

  const thumbnails = new Thumbnails();
  bridge?.onFrame((p, frame) => thumbnails.offer(p.id, frame));

  const callers: DemoCaller[] = [];
  const state = new DemoState({
    bridge,
    callers: () => callers.map((c) => c.stats()),
    thumbnails,
    sipUri,
    durationSec: options.durationSec,
  });

  let dashboard: Dashboard | undefined;
  if (options.web) {
    dashboard = await startDashboard({
      host: options.webHost,
      port: options.webPort,
      state,
      thumbnails,
      metrics: demoMetrics(state),
    });
    log(`dashboard on ${dashboard.url} (metrics: ${dashboard.url}/metrics)`);
  }

  const view = new LiveView(io.out);
  const tick = setInterval(() => {
    state.sample();
    view.draw(renderView(state.snapshot(), dashboard?.url));
  }, 1000);

  let finalBridge: BridgeView | undefined;
  let afterStop: DemoSummary["afterStop"];
  let stopped = false;
  const stopping = stop.then(() => {
    stopped = true;
  });
  try {
    if (options.callers > 0 && target !== undefined) {
      const clip = splitAccessUnits(new Uint8Array(await readFile(options.video)));
      const tone = new Uint8Array(await readFile(options.tone));
      if (!clip.some((au) => au.keyframe))
        throw new Error(`${options.video} has no IDR picture: the callers' video would not decode`);
      for (let i = 0; i < options.callers; i++) {
        // each caller starts elsewhere in the clip (at an IDR), so their pictures differ
        let startAt = Math.floor((i * clip.length) / options.callers);
        while (startAt > 0 && !clip[startAt]!.keyframe) startAt--;
        callers.push(
          new DemoCaller({
            name: `caller-${i + 1}`,
            host: dialHost(options.host),
            uri: target,
            video: clip,
            tone,
            fps: options.fps,
            startAt,
            ...(options.auth === undefined ? {} : { credentials: options.auth }),
            recordTo: join(options.outDir, `caller-${i + 1}.h264`),
            rtpPortStart: 30_000 + i * 400,
          }),
        );
      }
      log(
        `${callers.length} built-in callers dialing ${target} (${options.video}, ${clip.length} frames at ${options.fps} fps, PCMU tone)`,
      );
      await Promise.all(callers.map((c) => c.dial()));
      // everyone starts sending once all are in the room, so each receives the other from frame 0
      if (bridge !== undefined) {
        const until = Date.now() + 5000;
        while (!stopped && Date.now() < until && bridge.active().length < callers.length)
          await sleep(20);
      } else {
        await sleep(500);
      }
      for (const c of callers) c.startStreaming();
    }
    await stopping;
  } finally {
    clearInterval(tick);
    state.sample();
    view.draw(renderView(state.snapshot(), dashboard?.url), Number.POSITIVE_INFINITY);
    for (const c of callers) c.stopStreaming();
    if (callers.length > 0) await sleep(DRAIN_MS); // frames in flight reach the other side
    finalBridge = bridge === undefined ? undefined : state.bridgeView();
    await Promise.all(callers.map((c) => c.hangUp().catch(() => {})));
    if (bridge !== undefined) {
      await bridge.stop();
      afterStop = { portsInUse: bridge.backend.portsInUse, sessions: bridge.backend.sessionCount };
    }
    await dashboard?.close();
  }

  const summaries: CallerSummary[] = [];
  for (const c of callers) {
    const s = c.stats();
    const peerSentFrames = Math.max(
      0,
      ...callers.filter((o) => o !== c).map((o) => o.stats().sentFrames),
    );
    let decode: CallerSummary["decode"];
    try {
      decode = await decodeH264File(s.recordTo);
    } catch (e) {
      decode = { error: (e as Error).message };
    }
    summaries.push({
      name: s.name,
      state: s.state,
      sentFrames: s.sentFrames,
      peerSentFrames,
      receivedFrames: s.receivedFrames,
      receivedRatio: peerSentFrames === 0 ? 0 : s.receivedFrames / peerSentFrames,
      receivedFromClip: s.receivedFromClip,
      receivedAudioPackets: s.receivedAudioPackets,
      file: s.recordTo,
      fileBytes: s.recordedBytes,
      decode,
      ok: !("error" in decode) && decode.framesDecoded > 0,
    });
  }
  const summary: DemoSummary = {
    durationMs: Date.now() - state.startedAt,
    sipUri,
    callers: summaries,
    bridge: finalBridge,
    afterStop,
    exitCode: summaries.every((s) => s.ok) ? 0 : 1,
  };
  await writeFile(join(options.outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  for (const line of renderSummary(summary)) log(line);
  if (options.json) log(JSON.stringify(summary));
  return summary;
}

/** renderSummary is the table printed at the end. */
export function renderSummary(s: DemoSummary): string[] {
  const lines = ["", `summary after ${(s.durationMs / 1000).toFixed(1)} s`];
  if (s.callers.length === 0) {
    lines.push("no built-in callers (--no-callers): nothing recorded");
    return lines;
  }
  const rows = [
    [
      "caller",
      "sent",
      "received",
      "of peer's",
      "identical",
      "audio in",
      "file",
      "decoded",
      "errors",
      "result",
    ],
  ];
  for (const c of s.callers) {
    const d = c.decode;
    rows.push([
      c.name,
      String(c.sentFrames),
      String(c.receivedFrames),
      `${(c.receivedRatio * 100).toFixed(1)} %`,
      String(c.receivedFromClip),
      String(c.receivedAudioPackets),
      c.file,
      "error" in d ? "-" : `${d.framesDecoded}/${d.accessUnits}`,
      "error" in d ? d.error : String(d.errors),
      c.ok ? "ok" : "NO DECODABLE VIDEO",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
  lines.push(
    s.exitCode === 0
      ? "every caller received decodable video"
      : "a caller received no decodable video: exit code 1",
  );
  return lines;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
