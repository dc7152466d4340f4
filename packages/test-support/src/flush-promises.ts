// flushPromises: one macrotask turn, so every pending promise callback runs (no time passes).

/** flushPromises resolves after the next macrotask turn (`setImmediate`): pending promise callbacks have run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
