/**
 * The README's demo, as CI runs it: `src/main.ts --duration 15` with the two built-in callers.
 * Both callers must receive ≥ 90 % of the other's frames, their recordings must decode with 0
 * errors (node-av inside the demo, and FFmpeg's CLI here, a decoder nobody here wrote), the exit
 * code must be 0, /metrics must show the two participants, and every call must hang up cleanly.
 */
import {
  ffmpegDecodeFile,
  itWithPeers,
  onCleanup,
  runCleanups,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { startDemo } from "./demo-run.js";

const withFfmpeg = itWithPeers(["ffmpeg"]);

afterEach(runCleanups);

describe("npm run demo -- --duration 15 (two built-in callers)", () => {
  withFfmpeg(
    "both callers receive ≥ 90 % of the other's frames, recordings decode with 0 errors, exit 0",
    async () => {
      const demo = startDemo(["--duration", "15", "--port", "0", "--web-port", "0"], 60_000);
      onCleanup(() => demo.child.kill());
      const [, sipUri] = await demo.line(/SIP bridge listening on (sip:demo@127\.0\.0\.1:\d+)/);
      const [, web] = await demo.line(/dashboard on (http:\/\/127\.0\.0\.1:\d+)/);
      expect(sipUri).toMatch(/^sip:demo@/);

      // while it runs: the page, its JSON and Prometheus metrics
      await demo.line(/caller caller-2: in-call/, 20_000);
      await new Promise((r) => setTimeout(r, 3000));
      const page = await fetch(`${web}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Framewire demo");
      const state = (await (await fetch(`${web}/api/state`)).json()) as {
        rooms: { id: string; participants: { framesIn: number }[] }[];
      };
      expect(state.rooms.map((r) => [r.id, r.participants.length])).toEqual([["demo", 2]]);
      const metrics = await (await fetch(`${web}/metrics`)).text();
      expect(metrics).toMatch(/^framewire_room_participants\{room="demo"\} 2$/m);
      const frames = [
        ...metrics.matchAll(/^framewire_participant_video_frames_received\{[^}]*\} (\d+)$/gm),
      ];
      expect(frames).toHaveLength(2);
      for (const m of frames) expect(Number(m[1])).toBeGreaterThan(0);

      const { exit, summary } = await demo.finished();
      expect(exit.timedOut).toBe(false);
      expect(exit.code, `${exit.stdout}\n${exit.stderr}`).toBe(0);
      expect(summary).toBeDefined();
      expect(exit.stdout).toContain("every caller received decodable video");
      expect(summary!.callers).toHaveLength(2);
      for (const c of summary!.callers) {
        expect(c.sentFrames).toBeGreaterThan(300); // ~30 fps for ~14 s
        expect(
          c.receivedRatio,
          `${c.name} received ${c.receivedFrames} of ${c.peerSentFrames}`,
        ).toBeGreaterThanOrEqual(0.9);
        // bridged without decoding: what arrives is the peer's clip, byte for byte
        expect(c.receivedFromClip).toBe(c.receivedFrames);
        expect(c.receivedAudioPackets).toBeGreaterThan(0.9 * 50 * 10); // the other's tone, 50 pkt/s
        expect("error" in c.decode).toBe(false);
        if ("error" in c.decode) continue;
        expect(c.decode.errors, c.decode.messages.join("\n")).toBe(0);
        expect(c.decode.framesDecoded).toBe(c.decode.accessUnits);
        expect(c.decode.framesDecoded).toBeGreaterThanOrEqual(0.9 * c.peerSentFrames);
        expect([c.decode.width, c.decode.height]).toEqual([640, 360]);
        // an independent decoder: FFmpeg's CLI
        const ff = await ffmpegDecodeFile(c.file);
        expect(ff.errors, ff.log).toBe(0);
        expect(ff.crcs.length).toBe(c.decode.framesDecoded);
      }
      // clean shutdown: every call hung up, every RTP port back
      expect(summary!.bridge?.portsInUse).toBe(4); // before BYE: 2 calls × (audio + video)
      expect(summary!.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
      for (const c of summary!.callers) expect(c.state).toBe("ended");
    },
    90_000,
  );
});
