// Run by join-leave-cycles.test.ts in a child node (--expose-gc): CYCLES join/leave cycles of a
// participant subscribed to two callers (raw rgb24 video decoded by node-av from the fixture's
// access units, per-member and mixed audio), with RSS after forced GC, native object counts and
// what the kit and the connector still hold. Prints one JSON line.
import { readFileSync } from "node:fs";
import { nativeCounts } from "@framewire/media";
import { splitAccessUnits, type VideoFrame } from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import { Connector } from "../src/core/connector.js";
import { h264, pcmuTone, phoneSession, room } from "./fake-phones.js";

const CYCLES = Number(process.argv[2] ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const units = splitAccessUnits(readFileSync(fixture("test.h264"))).slice(0, 12);
const frame = (i: number): VideoFrame => ({
  ...h264(units[i]!.keyframe, 0, i * 33),
  data: units[i]!.data,
});

async function main(): Promise<void> {
  const { kit, phones } = room("forward");
  const a = await kit.join("r", "av", { session: phoneSession("A") });
  const b = await kit.join("r", "av", { session: phoneSession("B") });
  const connector = new Connector(kit, { channelId: "av" });
  const rss: number[] = [];
  let delivered = 0;
  let ends: string[] = [];
  for (let c = 0; c < CYCLES; c++) {
    const bot = await connector.join({ roomId: "r", identity: "cycler" });
    const va = bot.subscribeVideo("A", { format: "rgb24", capacity: 16 });
    const vb = bot.subscribeVideo("B", { format: "rgb24", capacity: 16 });
    const au = bot.subscribeAudio("A");
    const mix = bot.subscribeMixedAudio();
    for (let i = 0; i < units.length; i++) {
      phones.video.next({ session: a, frame: frame(i) });
      phones.video.next({ session: b, frame: frame(i) });
      phones.audio.next({ session: a, frame: pcmuTone(440, i) });
    }
    for (let i = 0; i < 6; i++) {
      for (const s of [va, vb]) {
        const r = await s.next();
        if (!r.done) delivered++;
      }
    }
    await bot.leave();
    ends = await Promise.all([va.ended, vb.ended, au.ended, mix.ended]);
    for (const s of [va, vb]) while (!(await s.next()).done) delivered++;
    for (const s of [au, mix]) while (!(await s.next()).done) {}
    if (c === 9 || c === CYCLES - 1) {
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 3; i++) gc!();
      rss.push(process.memoryUsage().rss);
    }
  }
  kit.close();
  console.log(
    JSON.stringify({
      cycles: CYCLES,
      delivered,
      ends,
      rssAt10: rss[0],
      rssAtEnd: rss[1],
      native: nativeCounts(),
      kitSessions: kit.getSessions("r").length,
      connectorParticipants: connector.participants().length,
      backendSessions: connector.backend.sessions,
    }),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
