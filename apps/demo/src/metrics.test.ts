import { describe, expect, it } from "vitest";
import { demoMetrics } from "./metrics.js";
import type { BridgeView, DemoState, ParticipantView } from "./state.js";

const participant = (id: string, over: Partial<ParticipantView>): ParticipantView => ({
  id,
  roomId: "demo",
  caller: `sip:${id}@127.0.0.1`,
  codec: "H264",
  width: 640,
  height: 360,
  fps: 30,
  kbps: 1000,
  framesIn: 300,
  keyframes: 10,
  packetsIn: 1400,
  lost: 0,
  forwarded: 300,
  delivered: 300,
  dropped: 0,
  keyframeRequestsSent: 0,
  audioPacketsIn: 500,
  foreignPackets: 0,
  nalUnitsOutsideMode: 0,
  nalUnitsDropped: 0,
  sourceChanges: 0,
  malformedPackets: 0,
  msSinceKeyframe: 100,
  joinedAt: 0,
  thumbnails: 0,
  ...over,
});

const bridge: BridgeView = {
  framesIn: 0,
  framesSent: 0,
  keyframesSent: 0,
  cachedKeyframesSent: 0,
  switches: 0,
  keyframeRequests: 0,
  codecMismatch: 0,
  joinErrors: 0,
  portsInUse: 4,
  audio: { forwarded: 0, transcoded: 0, mixed: 0 },
  authChallenges: 0,
  sip: { malformed: 3, badRequests: 2, oversize: 1, rejectedRequests: 7, authFailures: 5 },
};

describe("demoMetrics", () => {
  it("exports the security counters and the packetization-mode 0 counters, read at scrape time", async () => {
    const people = [
      participant("a", { foreignPackets: 1500, malformedPackets: 2 }),
      participant("b", { sourceChanges: 1, nalUnitsOutsideMode: 1283, nalUnitsDropped: 4 }),
    ];
    const state = { participants: () => people, bridgeView: () => bridge } as unknown as DemoState;
    const text = await demoMetrics(state).metrics();
    const value = (name: string, id: string) =>
      Number(
        new RegExp(`^${name}\\{[^}]*participant="${id}"[^}]*\\} (\\d+)$`, "m").exec(text)?.[1],
      );
    expect(value("framewire_participant_rtp_foreign_packets", "a")).toBe(1500);
    expect(value("framewire_participant_rtp_foreign_packets", "b")).toBe(0);
    expect(value("framewire_participant_rtp_malformed_packets", "a")).toBe(2);
    expect(value("framewire_participant_rtp_source_changes", "b")).toBe(1);
    expect(value("framewire_participant_video_nal_units_outside_mode", "b")).toBe(1283);
    expect(value("framewire_participant_video_nal_units_dropped", "b")).toBe(4);
    for (const [name, n] of [
      ["framewire_sip_malformed_datagrams", 3],
      ["framewire_sip_bad_requests", 2],
      ["framewire_sip_oversize_datagrams", 1],
      ["framewire_sip_rejected_requests", 7],
      ["framewire_sip_auth_failures", 5],
    ] as const) {
      expect(text).toMatch(new RegExp(`^${name} ${n}$`, "m"));
    }
    // read at each scrape: a change shows in the next one
    people[0] = participant("a", { foreignPackets: 2000 });
    const again = await demoMetrics(state).metrics();
    expect(again).toMatch(
      /^framewire_participant_rtp_foreign_packets\{[^}]*participant="a"[^}]*\} 2000$/m,
    );
  });
});
