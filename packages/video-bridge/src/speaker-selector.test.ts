import { describe, expect, it } from "vitest";
import { SpeakerHistory, selectSource } from "./speaker-selector.js";

interface P {
  readonly id: string;
}
const A: P = { id: "A" };
const B: P = { id: "B" };
const C: P = { id: "C" };
const D: P = { id: "D" };
const members = [A, B, C, D];

function pick(
  target: P,
  opts: { pinned?: string; speakers?: string[]; current?: P; sending?: P[] } = {},
): string | undefined {
  const sending = new Set(opts.sending ?? members);
  return selectSource({
    target,
    members,
    speakers: opts.speakers ?? [],
    pinnedId: opts.pinned ?? null,
    current: opts.current,
    eligible: (s) => sending.has(s),
  })?.id;
}

interface Case {
  readonly name: string;
  readonly target: P;
  readonly opts: { pinned?: string; speakers?: string[]; current?: P; sending?: P[] };
  readonly expected: string | undefined;
}

const cases: Case[] = [
  {
    name: "pinned wins over the speaker",
    target: C,
    opts: { pinned: "D", speakers: ["B"] },
    expected: "D",
  },
  {
    name: "pinned but silent falls back to the speaker",
    target: C,
    opts: { pinned: "D", speakers: ["B"], sending: [A, B] },
    expected: "B",
  },
  { name: "the most recent speaker", target: C, opts: { speakers: ["B", "A"] }, expected: "B" },
  {
    name: "the speaker sees the previous speaker",
    target: B,
    opts: { speakers: ["B", "A"] },
    expected: "A",
  },
  {
    name: "a silent speaker is skipped",
    target: C,
    opts: { speakers: ["B", "A"], sending: [A, D] },
    expected: "A",
  },
  { name: "no speaker: keep the current source", target: A, opts: { current: C }, expected: "C" },
  {
    name: "no speaker, no current: first member in join order",
    target: A,
    opts: {},
    expected: "B",
  },
  {
    name: "only one participant sends: everyone receives it",
    target: B,
    opts: { speakers: ["C"], sending: [D] },
    expected: "D",
  },
  {
    name: "never the target itself",
    target: D,
    opts: { pinned: "D", speakers: ["D"], sending: [D] },
    expected: undefined,
  },
  { name: "nobody sends", target: A, opts: { speakers: ["B"], sending: [] }, expected: undefined },
];

describe("selectSource", () => {
  it.each(cases)("$name", ({ target, opts, expected }) => {
    expect(pick(target, opts)).toBe(expected);
  });
});

describe("SpeakerHistory", () => {
  it("keeps speakers most recent first; null keeps the order; remove forgets", () => {
    const h = new SpeakerHistory();
    h.setActive("A");
    h.setActive("B");
    h.setActive("A");
    expect(h.speakers).toEqual(["A", "B"]);
    expect(h.active).toBe("A");
    h.setActive(null);
    expect(h.active).toBeNull();
    expect(h.speakers).toEqual(["A", "B"]);
    h.setActive("C");
    h.remove("C");
    expect(h.active).toBeNull();
    expect(h.speakers).toEqual(["A", "B"]);
  });
});
