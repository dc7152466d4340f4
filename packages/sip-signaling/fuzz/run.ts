// pnpm fuzz: the nightly-style fuzz run of @framewire/sip-signaling — 10⁶ inputs per target (the
// raw-message screen + sip.js parser, SDP offer/answer, a SipUserAgent on an in-memory socket),
// printing the outcome table, inputs/s and peak memory.
// Exit status 1 on any failure: an exception that is not a FramewireError, a broken invariant,
// an input not counted, or heap growth after warm-up beyond the bound.
//
//   tsx --expose-gc --conditions=@framewire/source fuzz/run.ts \
//     [--count 1000000] [--seed 0x5eed] [--target sip-parse,sdp,sip-ua] [--from N] [--dump N]
//
// --dump N prints input N of the seed in hex (and its mutation) and feeds inputs 0..N to the
// target, which reproduces a failure reported as (seed, index). FUZZ_COUNT / FUZZ_SEED are read
// when the flags are absent.
import { fuzzMain } from "@framewire/test-support";
import { TARGETS } from "./targets.js";

await fuzzMain(TARGETS);
