import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** DemoOptions is what the command line (and FRAMEWIRE_DEMO_* variables) asked for. */
export interface DemoOptions {
  /** host the SIP bridge binds, and the address written in SDP and Contact. */
  readonly host: string;
  readonly port: number;
  readonly room: string;
  /** rtpPortStart is the bridge's first RTP port (even; RTCP on port + 1). */
  readonly rtpPortStart: number;
  /** auth: the bridge challenges every INVITE (Digest), and the built-in callers answer. */
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  /** audio is the AudioBridge strategy: "forward" (two parties, no decoding) or "mix". */
  readonly audio: "forward" | "mix";
  /** durationSec stops the demo after that many seconds; undefined runs until Ctrl-C. */
  readonly durationSec: number | undefined;
  /** callers is how many built-in callers dial in (0 with --no-callers). */
  readonly callers: number;
  /** call is the SIP URI the built-in callers dial; undefined dials the local bridge. */
  readonly call: string | undefined;
  readonly web: boolean;
  readonly webHost: string;
  readonly webPort: number;
  /** video is the H.264 Annex-B file the built-in callers send, looped. */
  readonly video: string;
  /** tone is the raw PCMU (8 kHz µ-law) file the built-in callers send, looped. */
  readonly tone: string;
  readonly fps: number;
  /** outDir receives each caller's received video and summary.json. */
  readonly outDir: string;
  /** json prints the end summary as one JSON line too. */
  readonly json: boolean;
  readonly help: boolean;
}

/** DemoUsageError is a bad command line; main prints it with the usage text. */
export class DemoUsageError extends Error {
  readonly code = "DEMO_USAGE";
  override readonly name = "DemoUsageError";
}

export const USAGE = `Framewire demo: a SIP audio+video bridge with two built-in callers.

usage: npm run demo -- [flags]        (or: pnpm --filter @framewire/demo start -- [flags])

  --host ADDR          address to bind and advertise (env FRAMEWIRE_DEMO_HOST, default 127.0.0.1)
  --port N             SIP port of the bridge (env FRAMEWIRE_DEMO_PORT, default 5060; 0 = any)
  --room NAME          room the built-in callers dial (env FRAMEWIRE_DEMO_ROOM, default demo)
  --rtp-port N         first RTP port of the bridge (default 10000)
  --audio MODE         forward (default: relays packets, for two parties) or mix (conferences)
  --auth USER:PASS     the bridge asks every caller for Digest credentials; the built-in callers
                       answer with these (env FRAMEWIRE_DEMO_AUTH)
  --duration S         stop after S seconds (default: run until Ctrl-C)
  --no-callers         no built-in callers: wait for softphones (sip:ROOM@HOST:PORT)
  --callers N          how many built-in callers (default 2)
  --call URI           built-in callers dial URI (a remote bridge); no local bridge is started
  --no-web             no dashboard
  --web-port N         dashboard port (env FRAMEWIRE_DEMO_WEB_PORT, default 8080; 0 = any)
  --web-host ADDR      dashboard address (default 127.0.0.1)
  --video FILE         H.264 Annex-B file the callers send (default the fixture fixtures/test.h264)
  --tone FILE          raw PCMU file the callers send (default fixtures/pcmu-tone.ulaw)
  --fps N              callers' frame rate (default 30)
  --out DIR            where received video and summary.json go (default $TMPDIR/framewire-demo)
  --json               also print the summary as one JSON line
  -h, --help           this text`;

/** fixturesDir is the repository's `fixtures/` folder (its clip and tone are committed). */
function fixturesDir(): string {
  // <repo>/apps/demo/src/options.ts → <repo>/fixtures
  return fileURLToPath(new URL("../../../fixtures/", import.meta.url));
}

function int(name: string, text: string | undefined, fallback: number, min: number, max: number) {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new DemoUsageError(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return n;
}

/** parseOptions reads argv (without node and the script) and the environment. */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): DemoOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new DemoUsageError((e as Error).message);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 0)
    throw new DemoUsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const durationText = v.duration;
  let durationSec: number | undefined;
  if (durationText !== undefined) {
    durationSec = Number(durationText);
    if (!Number.isFinite(durationSec) || durationSec <= 0 || durationSec > 86_400 * 7)
      throw new DemoUsageError(`--duration must be a number of seconds > 0, got "${durationText}"`);
  }
  const callers = v["no-callers"] === true ? 0 : int("--callers", v.callers, 2, 0, 16);
  const call = v.call;
  if (call !== undefined && !/^sip:[^@\s]+@[^\s]+$/.test(call))
    throw new DemoUsageError(`--call needs a SIP URI like sip:demo@192.0.2.10:5060, got "${call}"`);
  if (call !== undefined && callers === 0)
    throw new DemoUsageError("--call and --no-callers exclude each other");
  const fixtures = fixturesDir();
  const video = resolve(v.video ?? join(fixtures, "test.h264"));
  const tone = resolve(v.tone ?? join(fixtures, "pcmu-tone.ulaw"));
  if (callers > 0) {
    if (!existsSync(video)) throw new DemoUsageError(`video file not found: ${video}`);
    if (!existsSync(tone)) throw new DemoUsageError(`tone file not found: ${tone}`);
  }
  const authText = v.auth ?? env.FRAMEWIRE_DEMO_AUTH;
  let auth: DemoOptions["auth"];
  if (authText !== undefined && authText !== "") {
    const colon = authText.indexOf(":");
    if (colon <= 0 || colon === authText.length - 1)
      throw new DemoUsageError("--auth needs USER:PASSWORD");
    auth = { username: authText.slice(0, colon), password: authText.slice(colon + 1) };
  }
  const audio = v.audio ?? "forward";
  if (audio !== "forward" && audio !== "mix")
    throw new DemoUsageError(`--audio must be forward or mix, got "${audio}"`);
  const rtpPortStart = int("--rtp-port", v["rtp-port"], 10_000, 1024, 65_000);
  if (rtpPortStart % 2 !== 0) throw new DemoUsageError("--rtp-port must be even");
  return {
    host: v.host ?? env.FRAMEWIRE_DEMO_HOST ?? "127.0.0.1",
    port: int("--port", v.port ?? env.FRAMEWIRE_DEMO_PORT, 5060, 0, 65_535),
    room: v.room ?? env.FRAMEWIRE_DEMO_ROOM ?? "demo",
    rtpPortStart,
    audio,
    auth,
    durationSec,
    callers,
    call,
    web: v["no-web"] !== true,
    webHost: v["web-host"] ?? "127.0.0.1",
    webPort: int("--web-port", v["web-port"] ?? env.FRAMEWIRE_DEMO_WEB_PORT, 8080, 0, 65_535),
    video,
    tone,
    fps: int("--fps", v.fps, 30, 1, 120),
    outDir: resolve(v.out ?? join(tmpdir(), "framewire-demo")),
    json: v.json === true,
    help: v.help === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      room: { type: "string" },
      "rtp-port": { type: "string" },
      audio: { type: "string" },
      auth: { type: "string" },
      duration: { type: "string" },
      "no-callers": { type: "boolean" },
      callers: { type: "string" },
      call: { type: "string" },
      "no-web": { type: "boolean" },
      "web-port": { type: "string" },
      "web-host": { type: "string" },
      video: { type: "string" },
      tone: { type: "string" },
      fps: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
