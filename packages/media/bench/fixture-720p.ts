// The 720p30 input of the media benchmarks: fixtures/generated/test-720p30.h264 (1280x720, 300
// frames, libx264 constrained baseline, 2.5 Mbit/s, an IDR every 30 frames), made on first use
// by @framewire/test-support's generated fixtures and git-ignored like the others.
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { ensureFixture } from "@framewire/test-support/fixtures";

export const FIXTURE_720P = "test-720p30.h264";
export const WIDTH_720P = 1280;
export const HEIGHT_720P = 720;

/** accessUnits are the Annex-B access units of an H.264 file. */
export function accessUnits(file: string): Uint8Array[] {
  return h264AccessUnits(new Uint8Array(readFileSync(file)), { splitAnnexB, joinAnnexB }).units;
}

/**
 * ensure720p returns the path of the 720p30 fixture, made on first use by test-support's
 * generated fixtures (the ffmpeg CLI scales and re-encodes fixtures/test.h264).
 */
export function ensure720p(): Promise<string> {
  return ensureFixture(FIXTURE_720P);
}
