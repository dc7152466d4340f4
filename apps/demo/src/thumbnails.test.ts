import { readFileSync } from "node:fs";
import type { VideoFrame } from "@framewire/rtp-video";
import { splitAccessUnits } from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { Thumbnails } from "./thumbnails.js";

const testH264 = fixture("test.h264");
const aus = splitAccessUnits(new Uint8Array(readFileSync(testH264)));
const frame = (i: number): VideoFrame => ({
  codec: "h264",
  data: aus[i]!.data,
  keyframe: aus[i]!.keyframe,
  timestampMs: i * 33,
  rtpTimestamp: i * 3000,
  sequence: i,
  width: 640,
  height: 360,
});

async function settle(t: Thumbnails, id: string, count: number): Promise<void> {
  for (let i = 0; i < 500 && (t.get(id)?.count ?? 0) < count; i++)
    await new Promise((r) => setTimeout(r, 5));
}

describe("Thumbnails", () => {
  it("makes a JPEG from a keyframe, ignores deltas, and keeps to one per interval", async () => {
    let now = 0;
    const t = new Thumbnails({ now: () => now, minIntervalMs: 1000 });
    t.offer("a", frame(1)); // delta: ignored
    expect(t.get("a")).toBeUndefined();
    t.offer("a", frame(0));
    await settle(t, "a", 1);
    expect(t.get("a")?.count).toBe(1);
    expect([...t.get("a")!.jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    now = 500;
    t.offer("a", frame(30)); // too soon
    await new Promise((r) => setTimeout(r, 100));
    expect(t.get("a")?.count).toBe(1);
    now = 1500;
    t.offer("a", frame(30));
    await settle(t, "a", 2);
    expect(t.get("a")?.count).toBe(2);
  });

  it("counts a keyframe that does not decode as a failure, and forgets the oldest beyond the cap", async () => {
    let now = 0;
    const t = new Thumbnails({ now: () => now, maxParticipants: 2 });
    t.offer("bad", { ...frame(0), data: Uint8Array.of(0, 0, 1, 0x65, 0x00) });
    for (let i = 0; i < 200 && t.failures === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.failures).toBe(1);
    for (const id of ["p1", "p2", "p3"]) {
      now += 10;
      t.offer(id, frame(0));
      await settle(t, id, 1);
    }
    expect(t.get("p1")).toBeUndefined();
    expect(t.get("p2")?.count).toBe(1);
    expect(t.get("p3")?.count).toBe(1);
  });
});
