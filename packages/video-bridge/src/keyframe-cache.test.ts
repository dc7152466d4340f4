import type { VideoFrame } from "@framewire/rtp-video";
import { describe, expect, it } from "vitest";
import { accessUnit, FrameSource, labelOf, NAL, nalTypes, slice } from "../test/video-fakes.js";
import { KeyframeCache, leadingNalUnits } from "./keyframe-cache.js";
import { KeyframeRequestLimiter } from "./keyframe-request-limiter.js";

function frame(
  data: Uint8Array,
  keyframe: boolean,
  codec: VideoFrame["codec"] = "h264",
): VideoFrame {
  return {
    codec,
    data,
    keyframe,
    timestampMs: 0,
    rtpTimestamp: 0,
    sequence: 0,
    width: 0,
    height: 0,
  };
}

describe("KeyframeCache", () => {
  it("keeps the last keyframe and counts the deltas after it", () => {
    const cache = new KeyframeCache();
    const a = new FrameSource("A");
    expect(cache.keyframe).toBeUndefined();
    const k0 = a.key();
    expect(cache.ingest(k0)).toBe(k0);
    expect(cache.keyframe).toBe(k0);
    expect(cache.deltasSinceKeyframe).toBe(0);
    cache.ingest(a.delta());
    cache.ingest(a.delta());
    expect(cache.deltasSinceKeyframe).toBe(2);
    const k3 = a.key();
    cache.ingest(k3);
    expect(cache.keyframe).toBe(k3);
    expect(cache.deltasSinceKeyframe).toBe(0);
  });

  it("prepends the last SPS/PPS (H.264 §7.4.1.2.3 order, after the AUD) to a keyframe lacking them", () => {
    const cache = new KeyframeCache();
    const a = new FrameSource("A");
    cache.ingest(a.key());
    cache.ingest(a.delta());
    const bare = frame(accessUnit(NAL.AUD, slice("A:K2", true)), true);
    const repaired = cache.ingest(bare);
    expect(nalTypes(repaired.data)).toEqual([9, 7, 8, 5]);
    expect(labelOf(repaired.data)).toBe("A:K2");
    expect(cache.keyframe).toBe(repaired);
  });

  it("takes parameter sets from a parameter-only access unit, and adds only what is missing", () => {
    const cache = new KeyframeCache();
    cache.ingest(frame(accessUnit(NAL.SPS, NAL.PPS), false));
    const onlySps = cache.ingest(frame(accessUnit(NAL.SPS, slice("K", true)), true));
    expect(nalTypes(onlySps.data)).toEqual([7, 8, 5]);
    const whole = frame(accessUnit(NAL.SPS, NAL.PPS, slice("K", true)), true);
    expect(cache.ingest(whole)).toBe(whole);
  });

  it("leaves a keyframe alone when no parameter set was seen, and VP8 keyframes as they are", () => {
    const cache = new KeyframeCache();
    const bare = frame(accessUnit(slice("K", true)), true);
    expect(cache.ingest(bare)).toBe(bare);
    const vp8 = frame(Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a), true, "vp8");
    expect(cache.ingest(vp8)).toBe(vp8);
    expect(cache.keyframe).toBe(vp8);
    // codec change forgot the H.264 parameter sets
    cache.ingest(frame(accessUnit(NAL.SPS, NAL.PPS), false));
    const k = frame(accessUnit(slice("K", true)), true);
    expect(nalTypes(cache.ingest(k).data)).toEqual([7, 8, 5]);
    cache.clear();
    expect(cache.keyframe).toBeUndefined();
  });

  it("scans only the NAL units before the first slice", () => {
    const au = accessUnit(NAL.AUD, NAL.SPS, NAL.PPS, slice("X", true), NAL.SPS);
    expect(leadingNalUnits(au).map((u) => u[0]! & 0x1f)).toEqual([9, 7, 8]);
    expect(leadingNalUnits(Uint8Array.of(0, 0, 1))).toEqual([]);
    expect(leadingNalUnits(Uint8Array.of(1, 2, 3, 0, 0, 1, 0x67, 1, 0, 0))).toEqual([
      Uint8Array.of(0x67, 1),
    ]);
  });
});

describe("KeyframeRequestLimiter", () => {
  it("lets one request through per interval", () => {
    const limiter = new KeyframeRequestLimiter(500);
    expect(limiter.lastRequestMs).toBe(Number.NEGATIVE_INFINITY);
    expect(limiter.tryAcquire(0)).toBe(true);
    expect(limiter.tryAcquire(499)).toBe(false);
    expect(limiter.tryAcquire(500)).toBe(true);
    expect(limiter.lastRequestMs).toBe(500);
  });
});
