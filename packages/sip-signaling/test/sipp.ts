/**
 * This package's SIPp scenarios (test/sipp/*.xml) and a bounded SIPp UAC run against a backend
 * or user agent under test, with its -trace_msg log split into messages.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Finished,
  freeUdpPorts,
  HOST,
  onCleanup,
  readText,
  startChild,
  tempDir,
} from "@framewire/test-support/peers";

/** scenarioPath is the path of one of this package's SIPp scenarios in test/sipp. */
export function scenarioPath(name: string): string {
  return fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));
}

/** SippMessage is one message of a SIPp -trace_msg log. */
export interface SippMessage {
  readonly direction: "sent" | "received";
  readonly text: string;
  readonly startLine: string;
}

/** sippMessages splits a SIPp -trace_msg log into its messages (CRLF line ends restored). */
export function sippMessages(log: string): SippMessage[] {
  const out: SippMessage[] = [];
  for (const block of log.split(/^-{5,} [^\n]*\n/m)) {
    const m = /^\s*UDP message (sent|received)[^\n]*\n\n?([\s\S]*)$/.exec(block);
    if (m === null) continue;
    const body = m[2]!.replace(/\r?\n/g, "\r\n").replace(/(\r\n)+$/, "\r\n");
    const [head = "", ...rest] = body.split("\r\n\r\n");
    const content = rest.join("\r\n\r\n");
    const text = `${head}\r\n\r\n${content}`;
    out.push({
      direction: m[1] === "sent" ? "sent" : "received",
      text,
      startLine: head.split("\r\n")[0]!.trim(),
    });
  }
  return out;
}

/** SippRun is a finished SIPp run with its -trace_msg log (split, and as text) and -trace_err log. */
export interface SippRun extends Finished {
  readonly messages: SippMessage[];
  /** log is the -trace_msg log as SIPp wrote it. */
  readonly log: string;
  readonly errors: string;
}

/**
 * runSipp runs test/sipp/<scenario> as a UAC against 127.0.0.1:port (-m 1, -nr, UDP, bounded
 * by -timeout and a hard deadline) with `extra` options, and returns its logs.
 */
export async function runSipp(
  scenario: string,
  port: number,
  extra: readonly string[] = [],
  service = "room1",
): Promise<SippRun> {
  const dir = tempDir("framewire-backend-sipp-");
  const sipPort = await freeUdpPorts(1);
  const media = await freeUdpPorts(4);
  const proc = startChild(
    "sipp",
    [
      `${HOST}:${port}`,
      ...["-sf", scenarioPath(scenario), "-s", service],
      ...["-i", HOST, "-p", String(sipPort), "-mi", HOST, "-mp", String(media), "-t", "u1"],
      ...["-m", "1", "-l", "1", "-nr", "-recv_timeout", "10000", "-timeout", "30s"],
      ...["-timeout_error", "-nostdin", "-trace_msg", "-message_file", join(dir, "m.log")],
      ...["-trace_err", "-error_file", join(dir, "e.log")],
      ...extra,
    ],
    { timeoutMs: 40_000, cwd: dir },
  );
  onCleanup(() => proc.kill());
  const r = await proc.done;
  const log = readText(join(dir, "m.log"));
  return {
    ...r,
    messages: sippMessages(log),
    log,
    errors: readText(join(dir, "e.log")),
  };
}
