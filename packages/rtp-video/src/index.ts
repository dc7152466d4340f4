// @framewire/rtp-video: everything — the pure core (./core.js, also the "./core" entry point) and the
// Node parts (./node.js, the "./node" entry point). Each lists its exports by name.
export * from "./core.js";
export * from "./node.js";
