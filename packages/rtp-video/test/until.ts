// until: the unit tests' bounded wait for something a socket delivers (sessions, backends).

/** until polls `cond` every 10 ms and fails the test when it does not hold within `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
