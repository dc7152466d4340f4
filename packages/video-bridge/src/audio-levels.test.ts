import { ManualScheduler } from "@framewire/test-support";
import { map, takeUntil, timer } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { sine } from "../test/audio-signals.js";
import {
  type ActiveSpeaker,
  AudioLevelMonitor,
  DBOV_SILENCE,
  dbovToAudioLevel,
  energyToDbov,
  type RoomAudioLevels,
  rmsDbov,
} from "./audio-levels.js";

/** tone is a 20 ms 8 kHz frame whose RMS is `dbov`. */
function tone(dbov: number, hz = 440): Int16Array {
  return sine(hz, 8000, 160, 32768 * Math.SQRT2 * 10 ** (dbov / 20));
}

describe("audio levels", () => {
  it("dBov: a full-scale square wave is 0, a full-scale sine −3 dBov, silence −127 (RFC 6464 §3)", () => {
    const square = new Int16Array(160);
    for (let i = 0; i < 160; i++) square[i] = i % 20 < 10 ? 32767 : -32768;
    expect(rmsDbov(square)).toBeCloseTo(0, 3);
    expect(rmsDbov(sine(1000, 8000, 8000, 32767))).toBeCloseTo(-3.01, 2);
    expect(rmsDbov(new Int16Array(160))).toBe(DBOV_SILENCE);
    expect(rmsDbov(new Int16Array(0))).toBe(DBOV_SILENCE);
    expect(energyToDbov(1, 1e20)).toBe(DBOV_SILENCE);
    expect(rmsDbov(tone(-20), 0, 160)).toBeCloseTo(-20, 1);
  });

  it("RFC 6464 level: 0 … 127 for 0 … −127 dBov, clamped", () => {
    expect(dbovToAudioLevel(0)).toBe(0);
    expect(dbovToAudioLevel(-3.01)).toBe(3);
    expect(dbovToAudioLevel(-40.4)).toBe(40);
    expect(dbovToAudioLevel(-127)).toBe(127);
    expect(dbovToAudioLevel(-200)).toBe(127);
    expect(dbovToAudioLevel(2)).toBe(0);
  });

  describe("AudioLevelMonitor", () => {
    function setup(options = {}) {
      const s = new ManualScheduler();
      const mon = new AudioLevelMonitor(options);
      const speakers: (ActiveSpeaker & { at: number })[] = [];
      const levels: RoomAudioLevels[] = [];
      mon.activeSpeaker$.subscribe((x) => speakers.push({ ...x, at: s.now() }));
      mon.levels$.subscribe((x) => levels.push(x));
      const sub = mon.start(s);
      /** run feeds each participant one frame per 20 ms tick, for `ms`. */
      const run = (ms: number, frames: Record<string, Int16Array | undefined>) => {
        for (let t = 0; t < ms; t += 20) {
          for (const [id, f] of Object.entries(frames)) if (f !== undefined) mon.feed("r", id, f);
          s.advance(20);
        }
      };
      return { s, mon, speakers, levels, run, sub };
    }

    it("measures and smooths levels; levels$ every 100 ms with the RFC 6464 level", () => {
      const { mon, levels, run } = setup();
      mon.add("r", "a");
      mon.add("r", "b");
      run(200, { a: tone(-20), b: tone(-45) });
      expect(levels.length).toBe(2);
      const last = levels.at(-1) as RoomAudioLevels;
      expect(last.roomId).toBe("r");
      expect(last.timeMs).toBe(200);
      const a = last.levels.find((l) => l.sessionId === "a");
      expect(a?.dbov).toBeCloseTo(-20, 0);
      expect(a?.level).toBe(20);
      expect(Math.abs((a?.smoothedDbov as number) + 20)).toBeLessThan(0.5);
      expect(a?.speaking).toBe(true);
      // Release is slower than attack: 100 ms after going quiet, still well above silence.
      run(100, { b: tone(-45) });
      const after = (levels.at(-1) as RoomAudioLevels).levels.find((l) => l.sessionId === "a");
      expect(after?.dbov).toBe(DBOV_SILENCE);
      expect(after?.level).toBe(127);
      expect(after?.smoothedDbov).toBeGreaterThan(-100);
      expect(after?.smoothedDbov).toBeLessThan(-20);
    });

    it("a tick without audio repeats the last measurement once (jitter), then reads silence", () => {
      const { mon, run } = setup();
      mon.add("r", "a");
      run(100, { a: tone(-30) });
      run(20, {});
      expect(mon.levels("r")?.levels[0]?.dbov).toBeCloseTo(-30, 0);
      run(20, {});
      expect(mon.levels("r")?.levels[0]?.dbov).toBe(DBOV_SILENCE);
    });

    it("active speaker: first speaker after holdMs; a challenger needs the margin for holdMs", () => {
      const { mon, speakers, run } = setup({ holdMs: 300, marginDb: 6 });
      mon.add("r", "a");
      mon.add("r", "b");
      run(280, { a: tone(-20), b: tone(-60) });
      expect(speakers).toEqual([]);
      run(20, { a: tone(-20), b: tone(-60) });
      expect(speakers).toEqual([{ roomId: "r", sessionId: "a", at: 300 }]);
      // b louder, but by less than the margin: no switch however long.
      run(2000, { a: tone(-20), b: tone(-16) });
      expect(speakers.length).toBe(1);
      // b louder by 10 dB, but only for 100 ms (a burst): no switch.
      run(100, { a: tone(-20), b: tone(-10) });
      run(400, { a: tone(-20), b: tone(-40) });
      expect(speakers.length).toBe(1);
      // b louder by 10 dB for long enough: switch after holdMs.
      const start = 2800;
      run(400, { a: tone(-20), b: tone(-10) });
      expect(speakers.map((x) => x.sessionId)).toEqual(["a", "b"]);
      const switchedAfter = (speakers[1]?.at as number) - start;
      expect(switchedAfter).toBeGreaterThanOrEqual(300);
      expect(switchedAfter).toBeLessThanOrEqual(320);
    });

    it("activeSpeaker$ with hysteresis (marbles): a at 300 ms, b after it has led for 300 ms", () => {
      const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      ts.run(({ expectObservable }) => {
        const mon = new AudioLevelMonitor({ holdMs: 300, marginDb: 6 });
        mon.add("r", "a");
        mon.add("r", "b");
        const loud = tone(-20);
        const quiet = new Int16Array(160);
        // a talks for 1 s, then b; one 20 ms frame each per tick.
        timer(0, 20, ts)
          .pipe(takeUntil(timer(3000, ts)))
          .subscribe(() => {
            const early = ts.now() < 1000;
            mon.feed("r", "a", early ? loud : quiet);
            mon.feed("r", "b", early ? quiet : loud);
          });
        const clock = mon.start(ts);
        ts.schedule(() => clock.unsubscribe(), 3000);
        // b leads by the margin once a's level has released by 6 dB (≈ 200 ms), then holds 300 ms.
        expectObservable(mon.activeSpeaker$.pipe(map((x) => x.sessionId)), "^ 3000ms !").toBe(
          "300ms a 1199ms b",
        );
      });
    });

    it("the speaker stays when the room goes quiet; leaving clears it", () => {
      const { mon, speakers, run } = setup({ holdMs: 100 });
      mon.add("r", "a");
      mon.add("r", "b");
      run(200, { a: tone(-20) });
      expect(mon.activeSpeaker("r")).toBe("a");
      run(2000, {});
      expect(mon.activeSpeaker("r")).toBe("a");
      mon.remove("r", "a");
      expect(mon.activeSpeaker("r")).toBeUndefined();
      run(200, { b: tone(-30) });
      expect(speakers.map((x) => x.sessionId)).toEqual(["a", "b"]);
    });

    it("below the speech threshold nobody becomes the speaker", () => {
      const { mon, speakers, run } = setup({ speechDbov: -50 });
      mon.add("r", "a");
      run(1000, { a: tone(-60) });
      expect(speakers).toEqual([]);
      expect(mon.levels("r")?.levels[0]?.speaking).toBe(false);
    });

    it("rooms are independent", () => {
      const { mon, s, speakers } = setup({ holdMs: 100 });
      mon.add("r", "a");
      mon.add("q", "a2");
      for (let t = 0; t < 200; t += 20) {
        mon.feed("q", "a2", tone(-20));
        mon.feed("r", "a2", tone(-20)); // not in room r: ignored
        s.advance(20);
      }
      expect(speakers.map((x) => [x.roomId, x.sessionId])).toEqual([["q", "a2"]]);
      expect(mon.levels("nope")).toBeUndefined();
    });

    it("close completes the observables and is idempotent", () => {
      const { mon, sub } = setup();
      let done = 0;
      mon.levels$.subscribe({ complete: () => done++ });
      mon.activeSpeaker$.subscribe({ complete: () => done++ });
      mon.close();
      mon.close();
      expect(done).toBe(2);
      mon.add("r", "a");
      mon.tick("r", 0);
      sub.unsubscribe();
    });
  });
});
