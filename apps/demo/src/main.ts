#!/usr/bin/env node
// Framewire demo: a SIP audio+video bridge (RoomKit + AudioVideoChannel over SipVideoBackend),
// two built-in callers streaming a clip and a tone, a live terminal view and a web dashboard.
import { runDemo } from "./demo.js";
import { DemoUsageError, parseOptions, USAGE } from "./options.js";

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof DemoUsageError)) throw e;
  process.stderr.write(`${e.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

// Ctrl-C reaches every process of the terminal's foreground group, and npm, pnpm and tsx each
// relay it too: the demo sees one key press as several SIGINTs within milliseconds. Only a
// signal more than a second after the first one is a second Ctrl-C (exit without cleanup).
let firstSignalAt: number | undefined;
const stop = new Promise<string>((resolve) => {
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt !== undefined) {
      if (now - firstSignalAt < 1000) return;
      process.stderr.write(`\n${signal} again: exiting without clean shutdown\n`);
      process.exit(130);
    }
    firstSignalAt = now;
    process.stderr.write(`\n${signal}: hanging up every call…\n`);
    resolve(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (options.durationSec !== undefined)
    setTimeout(() => resolve("duration"), options.durationSec * 1000).unref();
});

try {
  const summary = await runDemo(options, stop);
  process.exitCode = summary.exitCode;
} catch (e) {
  const err = e as Error & { code?: string };
  if (err.code === "BIND_FAILED" || err.code === "EADDRINUSE")
    process.stderr.write(
      `cannot bind: ${err.message} (another program on the port? try --port / --web-port)\n`,
    );
  else process.stderr.write(`demo failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
}
// sockets are closed; stray timers (FFmpeg threads, retransmissions) must not keep us alive
setTimeout(() => process.exit(), 2000).unref();
