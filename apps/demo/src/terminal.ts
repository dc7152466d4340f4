import type { DemoSnapshot } from "./state.js";

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function bar(fraction: number, width = 20): string {
  const n = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i] ?? 0, row[i]!.length);
  return rows.map((row) =>
    row
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

function shortCaller(caller: string): string {
  return caller.replace(/^sips?:/, "").slice(0, 32);
}

/**
 * securityLine sums what the demo refused — RTP/RTCP from another address than a participant's
 * accepted source, moves of that source, datagrams that did not parse, and the SIP layer's
 * refusals — or undefined while all of it is zero.
 */
function securityLine(s: DemoSnapshot): string | undefined {
  let foreign = 0;
  let changes = 0;
  let malformed = 0;
  for (const room of s.rooms) {
    for (const p of room.participants) {
      foreign += p.foreignPackets;
      changes += p.sourceChanges;
      malformed += p.malformedPackets;
    }
  }
  const sip = s.bridge.sip;
  const total =
    foreign +
    changes +
    malformed +
    sip.malformed +
    sip.badRequests +
    sip.oversize +
    sip.rejectedRequests +
    sip.authFailures;
  if (total === 0) return undefined;
  return `security: RTP ${foreign} foreign datagrams dropped, ${changes} source changes, ${malformed} malformed · SIP ${sip.malformed} not SIP, ${sip.badRequests} answered 400, ${sip.oversize} oversize, ${sip.rejectedRequests} refused, ${sip.authFailures} auth failures`;
}

/** renderView turns a snapshot into the lines of the live terminal view. */
export function renderView(s: DemoSnapshot, dashboard: string | undefined): string[] {
  const elapsed = s.now - s.startedAt;
  const progress =
    s.durationSec === undefined
      ? `${clock(elapsed)} (Ctrl-C to stop)`
      : `${clock(elapsed)} / ${clock(s.durationSec * 1000)} ${bar(elapsed / (s.durationSec * 1000))}`;
  const lines = [
    `Framewire demo · ${s.sipUri ?? "callers only"} · ${progress}${dashboard === undefined ? "" : ` · ${dashboard}`}`,
  ];
  if (s.sipUri !== undefined) {
    const b = s.bridge;
    lines.push(
      `bridge: ${b.framesSent} frames sent to targets (${b.keyframesSent} keyframes, ${b.cachedKeyframesSent} from the cache), ${b.keyframeRequests} keyframe requests, RTP ports in use ${b.portsInUse}`,
    );
    const security = securityLine(s);
    if (security !== undefined) lines.push(security);
    if (b.codecMismatch > 0)
      lines.push(
        `codec mismatch: ${b.codecMismatch} frames not sent (a phone decodes another codec; the bridge does not transcode)`,
      );
    if (s.rooms.length === 0)
      lines.push("no calls yet: dial sip:<room>@host:port with audio + H.264 or VP8");
  }
  for (const room of s.rooms) {
    lines.push(`room ${room.id}: ${room.participants.length} participant(s)`);
    const rows: string[][] = [
      [
        "  participant",
        "codec",
        "size",
        "fps",
        "kbit/s",
        "frames",
        "key",
        "fwd",
        "recv",
        "drop",
        "lost",
        "last key",
      ],
    ];
    for (const p of room.participants) {
      rows.push([
        `  ${shortCaller(p.caller)}`,
        p.codec,
        p.width > 0 ? `${p.width}x${p.height}` : "-",
        p.fps.toFixed(0),
        String(p.kbps),
        String(p.framesIn),
        String(p.keyframes),
        String(p.forwarded),
        String(p.delivered),
        String(p.dropped),
        String(p.lost),
        p.msSinceKeyframe === undefined ? "-" : `${(p.msSinceKeyframe / 1000).toFixed(1)} s`,
      ]);
    }
    lines.push(...table(rows));
  }
  for (const c of s.callers) {
    lines.push(
      `caller ${c.name}: ${c.state}${c.error === undefined ? "" : ` (${c.error})`} · sent ${c.sentFrames} frames (${c.sentKeyframes} key), ${c.sentAudioPackets} audio · received ${c.receivedFrames} frames (${c.receivedKeyframes} key), ${c.receivedAudioPackets} audio`,
    );
  }
  return lines;
}

/** LiveView redraws the view in place on a terminal; elsewhere it prints a line now and then. */
export class LiveView {
  private drawn = 0;
  private lastPlain = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly plainEveryMs = 5000,
  ) {}

  draw(lines: readonly string[], now = Date.now()): void {
    if (this.out.isTTY === true) {
      const width = this.out.columns ?? 120;
      const clipped = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
      let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
      for (const l of clipped) text += `\x1b[2K${l}\n`;
      if (clipped.length < this.drawn) text += "\x1b[J";
      this.out.write(text);
      this.drawn = clipped.length;
      return;
    }
    if (now - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = now;
    this.out.write(`${lines.join("\n")}\n\n`);
  }
}
