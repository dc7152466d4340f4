import { describe, expect, it } from "vitest";
import type { DemoSnapshot, ParticipantView } from "./state.js";
import { LiveView, renderView } from "./terminal.js";

const participant = (id: string, over: Partial<ParticipantView> = {}): ParticipantView => ({
  id,
  roomId: "demo",
  caller: `sip:${id}@127.0.0.1:5070`,
  codec: "H264",
  width: 640,
  height: 360,
  fps: 29.6,
  kbps: 1012,
  framesIn: 300,
  keyframes: 10,
  packetsIn: 1400,
  lost: 2,
  forwarded: 299,
  delivered: 298,
  dropped: 1,
  keyframeRequestsSent: 1,
  audioPacketsIn: 500,
  foreignPackets: 0,
  nalUnitsOutsideMode: 0,
  nalUnitsDropped: 0,
  sourceChanges: 0,
  malformedPackets: 0,
  msSinceKeyframe: 400,
  joinedAt: 0,
  thumbnails: 3,
  ...over,
});

const snapshot = (over: Partial<DemoSnapshot> = {}): DemoSnapshot => ({
  now: 7_000,
  startedAt: 0,
  durationSec: 14,
  sipUri: "sip:demo@127.0.0.1:5060",
  rooms: [
    {
      id: "demo",
      participants: [participant("a"), participant("b", { msSinceKeyframe: undefined, width: 0 })],
    },
  ],
  callers: [],
  keyframes: [],
  history: {},
  bridge: {
    framesIn: 600,
    framesSent: 597,
    keyframesSent: 20,
    cachedKeyframesSent: 1,
    switches: 2,
    keyframeRequests: 3,
    codecMismatch: 0,
    joinErrors: 0,
    portsInUse: 4,
    audio: { forwarded: 1000, transcoded: 0, mixed: 0 },
    authChallenges: 0,
    sip: { malformed: 0, badRequests: 0, oversize: 0, rejectedRequests: 0, authFailures: 0 },
  },
  ...over,
});

describe("renderView", () => {
  it("shows progress, the bridge totals and one aligned row per participant", () => {
    const lines = renderView(snapshot(), "http://127.0.0.1:8080");
    expect(lines[0]).toBe(
      "Framewire demo · sip:demo@127.0.0.1:5060 · 00:07 / 00:14 [##########..........] · http://127.0.0.1:8080",
    );
    expect(lines[1]).toContain("597 frames sent to targets (20 keyframes, 1 from the cache)");
    expect(lines[2]).toBe("room demo: 2 participant(s)");
    const [head, a, b] = lines.slice(3);
    expect(head).toMatch(
      /participant\s+codec\s+size\s+fps\s+kbit\/s\s+frames\s+key\s+fwd\s+recv\s+drop\s+lost\s+last key/,
    );
    expect(a).toMatch(
      /a@127\.0\.0\.1:5070\s+H264\s+640x360\s+30\s+1012\s+300\s+10\s+299\s+298\s+1\s+2\s+0\.4 s$/,
    );
    expect(b).toMatch(/\s-\s.*\s-$/); // no size, no keyframe yet
    // right-aligned numbers: the kbit/s column ends at the same offset on every row
    expect(head!.indexOf("kbit/s") + "kbit/s".length).toBe(a!.indexOf("1012") + 4);
  });

  it("says when frames were not sent because two phones use different codecs", () => {
    const s = snapshot();
    const lines = renderView({ ...s, bridge: { ...s.bridge, codecMismatch: 12 } }, undefined);
    expect(lines[2]).toBe(
      "codec mismatch: 12 frames not sent (a phone decodes another codec; the bridge does not transcode)",
    );
    expect(renderView(s, undefined).join("\n")).not.toContain("codec mismatch");
  });

  it("shows a security line only once something was refused, summed over participants", () => {
    const s = snapshot();
    expect(renderView(s, undefined).join("\n")).not.toContain("security:");
    const attacked = snapshot({
      rooms: [
        {
          id: "demo",
          participants: [
            participant("a", { foreignPackets: 1500, malformedPackets: 2 }),
            participant("b", { foreignPackets: 500, sourceChanges: 1 }),
          ],
        },
      ],
      bridge: {
        ...s.bridge,
        sip: { malformed: 4, badRequests: 3, oversize: 1, rejectedRequests: 7, authFailures: 2 },
      },
    });
    expect(renderView(attacked, undefined)[2]).toBe(
      "security: RTP 2000 foreign datagrams dropped, 1 source changes, 2 malformed · SIP 4 not SIP, 3 answered 400, 1 oversize, 7 refused, 2 auth failures",
    );
  });

  it("without a time limit, says how to stop; without calls, how to dial", () => {
    const lines = renderView(snapshot({ durationSec: undefined, rooms: [] }), undefined);
    expect(lines[0]).toContain("00:07 (Ctrl-C to stop)");
    expect(lines.join("\n")).toContain("no calls yet: dial sip:<room>@host:port");
  });
});

describe("LiveView", () => {
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    const out = {
      isTTY,
      columns: 40,
      write: (s: string) => writes.push(s) > 0,
    } as unknown as NodeJS.WriteStream;
    return { out, writes };
  };

  it("on a terminal, redraws in place and clips long lines", () => {
    const { out, writes } = sink(true);
    const view = new LiveView(out);
    view.draw(["one", "x".repeat(60)]);
    view.draw(["two"]);
    expect(writes[0]).toBe(`\x1b[2Kone\n\x1b[2K${"x".repeat(39)}…\n`);
    expect(writes[1]).toBe("\x1b[2A\x1b[2Ktwo\n\x1b[J");
  });

  it("elsewhere, prints a block at most every 5 s", () => {
    const { out, writes } = sink(false);
    const view = new LiveView(out, 5000);
    view.draw(["a"], 10_000);
    view.draw(["b"], 12_000);
    view.draw(["c"], 15_000);
    expect(writes).toEqual(["a\n\n", "c\n\n"]);
  });
});
