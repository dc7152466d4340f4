/**
 * The real-peer harness of these tests is @framewire/test-support/peers (tests registered with
 * `itWithPeers` skip locally when a program is missing and FAIL under CI=true; every child runs in
 * its own process group under a hard SIGKILL deadline that also reaches its descendants). This
 * module adds what is particular to this package: its SIPp scenarios, and the names its tests use.
 */
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Child, type ChildOptions, peersDir, startChild } from "@framewire/test-support/peers";

export {
  type Child as RunningProcess,
  type ChildOptions as ProcessOptions,
  type Finished as ProcessResult,
  freeUdpPorts,
  itWithPeers,
  type PeerTest,
  peersDir,
  sleep,
  startChild as startProcess,
} from "@framewire/test-support/peers";

/** scenarioPath is the path of one of this package's SIPp scenarios in test/sipp. */
export function scenarioPath(name: string): string {
  return fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));
}

/**
 * startScript runs `bash <peers>/<script> ...args` without waiting. The caller owns the child
 * (these tests kill theirs in their own cleanup); a child still running at exit is killed.
 */
export function startScript(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const path = isAbsolute(script) ? script : join(peersDir(), script);
  return startChild("bash", [path, ...args], options);
}
