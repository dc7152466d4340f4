// pnpm fuzz: the nightly-style fuzz run of @framewire/rtp-video — 10⁶ inputs per target (RTP →
// H.264 / VP8 / VP9 depacketizer → frame assembler, RTCP parse, a live VideoRtpSession and
// AudioRtpSession fed their datagrams), printing the outcome table, inputs/s and peak memory.
// Exit status 1 on any failure: an exception that is not a FramewireError, a broken invariant,
// an input not counted, or heap growth after warm-up beyond the bound.
//
//   tsx --expose-gc --conditions=@framewire/source fuzz/run.ts \
//     [--count 1000000] [--seed 0x5eed] [--target rtp-h264,rtcp,...] [--from N] [--dump N]
//
// --dump N prints input N of the seed in hex (and its mutation) and feeds inputs 0..N to the
// target, which reproduces a failure reported as (seed, index). FUZZ_COUNT / FUZZ_SEED are read
// when the flags are absent.
import { fuzzMain } from "@framewire/test-support";
import { TARGETS } from "./targets.js";

await fuzzMain(TARGETS);
