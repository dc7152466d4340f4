// Waiting in real time, bounded: sleep, polling until something holds or settles, file text.
import { readFileSync } from "node:fs";
import { onCleanup } from "./cleanup.js";

/** sleep resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** waitUntil polls `check` every `stepMs` until it holds (true) or `timeoutMs` passed (false). */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  stepMs = 10,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

/** readText reads a file; "" when it does not exist (yet). */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** waitForText polls a file until it contains `text` (true) or `timeoutMs` passed (false). */
export async function waitForText(path: string, text: string, timeoutMs: number): Promise<boolean> {
  return waitUntil(() => readText(path).includes(text), timeoutMs, 50);
}

/** settle waits until `count()` has not changed for `quietMs` (bounded by `maxMs`). */
export async function settle(count: () => number, quietMs = 300, maxMs = 3_000): Promise<void> {
  const t0 = Date.now();
  let last = count();
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    await sleep(50);
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
  }
}

/** CounterWatch is the largest value a sampled counter reached. */
export interface CounterWatch {
  readonly max: () => number;
  readonly samples: () => number;
  readonly stop: () => void;
}

/** watchCounter samples `read()` every `everyMs` and keeps its maximum, until stopped or cleanup. */
export function watchCounter(read: () => number, everyMs = 2): CounterWatch {
  let max = read();
  let samples = 1;
  const timer = setInterval(() => {
    max = Math.max(max, read());
    samples++;
  }, everyMs);
  const stop = (): void => clearInterval(timer);
  onCleanup(stop);
  return { max: () => max, samples: () => samples, stop };
}
