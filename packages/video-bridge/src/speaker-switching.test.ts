import { ManualScheduler } from "@framewire/test-support";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeBackend, FakeSession, FrameSource, type Sent } from "../test/video-fakes.js";
import { VideoBridge } from "./video-bridge.js";
import type { VideoBridgeEvent } from "./video-bridge-types.js";

const IDS = ["A", "B", "C"] as const;
type Id = (typeof IDS)[number];

/**
 * Room3 drives a three-party room at 30 fps in virtual time: each tick every sending source sends
 * one frame; source i sends a keyframe every `gop` ticks at offset gopOffset[i], or at the tick
 * after a keyframe request when `answerRequests` is set. Sources have different clock origins.
 */
class Room3 {
  readonly scheduler = new ManualScheduler();
  readonly bridge = new VideoBridge<FakeSession>({ scheduler: this.scheduler });
  readonly events: VideoBridgeEvent<FakeSession>[] = [];
  readonly s: Record<Id, FakeSession>;
  readonly b: Record<Id, FakeBackend>;
  readonly src: Record<Id, FrameSource>;
  readonly sending = new Set<Id>(IDS);
  tickNo = 0;
  private readonly keyNext = new Set<string>();

  constructor(
    private readonly gopOffset: Record<Id, number> = { A: 0, B: 3, C: 6 },
    private readonly gop = 10,
    answerRequests = false,
  ) {
    this.bridge.events$.subscribe((e) => this.events.push(e));
    this.s = { A: new FakeSession("A"), B: new FakeSession("B"), C: new FakeSession("C") };
    this.b = { A: new FakeBackend(), B: new FakeBackend(), C: new FakeBackend() };
    this.src = {
      A: new FrameSource("A", { startMs: 1000 }),
      B: new FrameSource("B", { startMs: 50_000 }),
      C: new FrameSource("C", { startMs: 777_000 }),
    };
    for (const id of IDS) {
      if (answerRequests) this.b[id].onRequest = (s) => this.keyNext.add(s.id);
      this.bridge.addSession(this.s[id], "r1", this.b[id]);
    }
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of IDS) {
        if (!this.sending.has(id) || this.bridge.getRoomId(id) === undefined) continue;
        const key = (this.tickNo - this.gopOffset[id]) % this.gop === 0 || this.keyNext.delete(id);
        this.bridge.forward(this.s[id], key ? this.src[id].key() : this.src[id].delta());
      }
      this.tickNo++;
      this.scheduler.advance(33);
    }
  }

  labels(id: Id): string[] {
    return this.b[id].labels();
  }

  sent(id: Id): Sent[] {
    return this.b[id].sent;
  }

  source(id: Id): string | undefined {
    return this.bridge.getCurrentSource(this.s[id])?.id;
  }
}

/**
 * checkStream asserts what one target decodes: one source at a time, each run from a keyframe,
 * every delta the very next frame of its source after the previous one sent (no reference
 * missing), and strictly increasing output timestamps.
 */
function checkStream(target: string, sent: readonly Sent[]): void {
  let prevSource: string | undefined;
  let prevIndex = -1;
  let prevTs = Number.NEGATIVE_INFINITY;
  for (const s of sent) {
    const [source, kind] = s.label.split(":") as [string, string];
    const index = Number(kind.slice(1));
    expect(source).not.toBe(target);
    if (kind.startsWith("D")) {
      expect(source, `${target} got ${s.label} after another source`).toBe(prevSource);
      expect(index, `${target} got ${s.label} after frame ${prevIndex}`).toBe(prevIndex + 1);
    }
    expect(s.timestampMs).toBeGreaterThan(prevTs);
    prevSource = source;
    prevIndex = index;
    prevTs = s.timestampMs;
  }
}

describe("one source per target", () => {
  it("without a speaker each target keeps one source; nobody gets interleaved streams", () => {
    const room = new Room3();
    room.tick(10);
    expect([room.source("A"), room.source("B"), room.source("C")]).toEqual(["B", "A", "A"]);
    expect(room.labels("C").every((l) => l.startsWith("A:"))).toBe(true);
    for (const id of IDS) checkStream(id, room.sent(id));
  });

  it("switches to the new speaker only at its keyframe, requested at once; outputs stay continuous", () => {
    const room = new Room3();
    room.tick(10);
    const cRequests = room.b.C.keyframeRequests.length;
    room.bridge.setActiveSpeaker("r1", "C");
    expect(room.b.C.keyframeRequests.length).toBe(cRequests + 1);
    room.tick(6); // ticks 10..15: C sends deltas only
    expect([room.source("A"), room.source("B")]).toEqual(["B", "A"]);
    expect(room.labels("A").at(-1)).toBe("B:D15");
    room.tick(1); // tick 16: C's keyframe
    expect([room.source("A"), room.source("B"), room.source("C")]).toEqual(["C", "C", "A"]);
    expect(room.labels("A").slice(-2)).toEqual(["B:D16", "C:K16"]);
    expect(room.labels("B").slice(-2)).toEqual(["A:D16", "C:K16"]);

    room.bridge.setActiveSpeaker("r1", "B");
    room.tick(7); // B's keyframe at tick 23
    expect([room.source("A"), room.source("B"), room.source("C")]).toEqual(["B", "C", "B"]);
    expect(room.bridge.getActiveSpeaker("r1")).toBe(room.s.B);
    for (const id of IDS) checkStream(id, room.sent(id));
    // 30 fps in, 30 fps out, whatever the source: every output step is one frame interval
    for (const id of IDS) {
      const ts = room.sent(id).map((s) => s.timestampMs);
      const steps = new Set(ts.slice(1).map((t, i) => t - ts[i]!));
      expect([...steps]).toEqual([33]);
    }
    expect(room.events.filter((e) => e.type === "source-switched").length).toBe(
      room.bridge.stats().switches,
    );
  });

  it("on a switch the output clock continues from the previous output, not from the new source's clock", () => {
    const room = new Room3();
    room.tick(10);
    room.bridge.setActiveSpeaker("r1", "C");
    room.tick(7);
    const a = room.sent("A");
    const i = a.findIndex((s) => s.label === "C:K16");
    expect(a[i]!.timestampMs - a[i - 1]!.timestampMs).toBe(33);
    expect(a[i]!.timestampMs).toBeLessThan(1000);
  });

  it("pin overrides the speaker; unpin returns to it; switches follow the requested keyframes", () => {
    const room = new Room3({ A: 0, B: 100, C: 100 }, 1000, true);
    room.bridge.setActiveSpeaker("r1", "A");
    room.tick(20); // past the rate limit of the joins' requests
    expect([room.source("B"), room.source("C")]).toEqual(["A", "A"]);
    room.bridge.pin(room.s.C, room.s.B);
    expect(room.bridge.getPinned(room.s.C)).toBe(room.s.B);
    room.tick(1);
    expect(room.source("C")).toBe("B");
    expect(room.labels("C").at(-1)).toMatch(/^B:K/);
    room.tick(20);
    room.bridge.pin(room.s.C, null);
    room.tick(1);
    expect(room.source("C")).toBe("A");
    expect(room.labels("C").at(-1)).toMatch(/^A:K/);
    for (const id of IDS) checkStream(id, room.sent(id));
    expect(() => room.bridge.pin(room.s.C, room.s.C)).toThrow(/BAD_OPTION/);
    expect(() => room.bridge.pin(new FakeSession("X"), null)).toThrow(/SESSION_NOT_FOUND/);
  });

  it("when only one participant sends, every other participant receives it, whoever speaks", () => {
    const room = new Room3({ A: 0, B: 0, C: 0 });
    room.sending.delete("B");
    room.sending.delete("C");
    room.bridge.setActiveSpeaker("r1", "B");
    room.tick(5);
    expect([room.source("B"), room.source("C")]).toEqual(["A", "A"]);
    expect(room.labels("C")).toEqual(["A:K0", "A:D1", "A:D2", "A:D3", "A:D4"]);
    expect(room.sent("A")).toEqual([]);
  });

  it("a silent speaker loses the targets after activeSourceTimeoutMs; its return is a switch at its keyframe", () => {
    const room = new Room3({ A: 0, B: 3, C: 6 }, 10);
    room.bridge.setActiveSpeaker("r1", "C");
    room.tick(10);
    expect(room.source("A")).toBe("C");
    room.sending.delete("C");
    room.tick(70); // > 2 s
    expect(room.source("A")).toBe("B");
    room.sending.add("C");
    room.tick(10);
    expect(room.source("A")).toBe("C");
    for (const id of IDS) checkStream(id, room.sent(id));
  });

  it("when a target's source leaves, the target gets another source's cached keyframe at once", () => {
    const room = new Room3({ A: 0, B: 0, C: 0 });
    room.bridge.setActiveSpeaker("r1", "A");
    room.tick(3);
    const before = room.events.length;
    room.bridge.removeSession(room.s.A);
    const switched = room.events
      .slice(before)
      .flatMap((e) => (e.type === "source-switched" ? [[e.target.id, e.to.id, e.cached]] : []));
    expect(switched).toEqual([
      ["B", "C", true],
      ["C", "B", true],
    ]);
    expect(room.labels("B").at(-1)).toBe("C:K0");
    room.tick(1);
    expect(room.labels("B").at(-1)).toBe("C:K0"); // deltas followed the cached keyframe: wait
    for (const id of ["B", "C"] as const) checkStream(id, room.sent(id));
  });

  it("keeps every target's stream decodable under any sequence of speakers, pins and traffic", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("tick" as const), n: fc.integer({ min: 1, max: 15 }) }),
      fc.record({ kind: fc.constant("speak" as const), id: fc.constantFrom(...IDS, null) }),
      fc.record({
        kind: fc.constant("pin" as const),
        target: fc.constantFrom(...IDS),
        source: fc.constantFrom(...IDS, null),
      }),
      fc.record({ kind: fc.constant("mute" as const), id: fc.constantFrom(...IDS) }),
      fc.record({ kind: fc.constant("pli" as const), id: fc.constantFrom(...IDS) }),
      fc.record({ kind: fc.constant("fail" as const), id: fc.constantFrom(...IDS) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 3, max: 40 }),
        (ops, answer, gop) => {
          const room = new Room3({ A: 0, B: 1, C: 2 }, gop, answer);
          for (const o of ops) {
            if (o.kind === "tick") room.tick(o.n);
            else if (o.kind === "speak") room.bridge.setActiveSpeaker("r1", o.id);
            else if (o.kind === "pin") {
              if (o.source !== o.target) {
                room.bridge.pin(room.s[o.target], o.source === null ? null : room.s[o.source]);
              }
            } else if (o.kind === "mute") {
              if (!room.sending.delete(o.id)) room.sending.add(o.id);
            } else if (o.kind === "fail") {
              const b = room.b[o.id];
              b.failSend = b.failSend === undefined ? () => true : undefined;
            } else room.s[o.id].pli();
          }
          for (const id of IDS) room.b[id].failSend = undefined;
          room.tick(gop + 1);
          for (const id of IDS) checkStream(id, room.sent(id));
        },
      ),
      { numRuns: 200 },
    );
  });
});
