import { flushPromises } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { dtmfEnd, h264, pcmuTone, phoneSession, room } from "../../test/fake-phones.js";
import { createAccessToken } from "../access-token.js";
import { ConnectorError } from "../errors.js";
import { Connector } from "./connector.js";
import type { ParticipantEvent } from "./participant-event.js";

const SECRET = "an-hs256-secret-of-at-least-32-bytes!!";

function goertzel(x: Int16Array, hz: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

async function joined(strategy: "mix" | "forward" = "mix") {
  const r = room(strategy);
  const a = await r.kit.join("r", "av", { session: phoneSession("A") });
  const b = await r.kit.join("r", "av", { session: phoneSession("B") });
  const connector = new Connector(r.kit, { channelId: "av", scheduler: r.scheduler });
  const bot = await connector.join({ roomId: "r", identity: "bot" });
  return { ...r, a, b, connector, bot };
}

describe("Connector + ServerParticipant (in-process, fake phones, virtual time)", () => {
  it("joins like any session: sees the members and their tracks, and they see it", async () => {
    const { kit, bot, a } = await joined();
    expect(bot.members().map((m) => [m.identity, m.tracks])).toEqual([
      ["A", { video: true, audio: true }],
      ["B", { video: true, audio: true }],
    ]);
    expect(kit.getSessions("r").map((s) => s.participantId)).toEqual(["A", "B", "bot"]);
    const events: ParticipantEvent["type"][] = [];
    bot.events$.subscribe((e) => events.push(e.type));
    await kit.leave(a);
    await kit.join("r", "av", { session: phoneSession("C") });
    expect(events).toEqual([
      "participant-left",
      "participant-joined",
      "track-published",
      "track-published",
    ]);
  });

  it("takes each member's encoded video per source, from a keyframe, and ends with participantLeft", async () => {
    const { kit, phones, bot, a, b } = await joined();
    const fromA = bot.subscribeVideo("A");
    const fromB = bot.subscribeVideo("B");
    phones.video.next({ session: a, frame: h264(false, 1) });
    phones.video.next({ session: a, frame: h264(true, 2) });
    phones.video.next({ session: b, frame: h264(true, 3) });
    phones.video.next({ session: a, frame: h264(false, 4) });
    const labels = async (s: typeof fromA, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await s.next();
        if (r.done) break;
        out.push((r.value.frame as { data: Uint8Array }).data.at(-1)!);
      }
      return out;
    };
    expect(await labels(fromA, 2)).toEqual([2, 4]);
    expect(await labels(fromB, 1)).toEqual([3]);
    const pending = fromA.next();
    await kit.leave(a);
    expect(await pending).toEqual({ done: true, value: "participantLeft" });
    expect(fromA.stats()).toMatchObject({ received: 2, delivered: 2, dropped: 0 });
  });

  it("a full queue drops the oldest frame and the deltas after it, then waits for a (requested) keyframe", async () => {
    const { scheduler, phones, bot, a } = await joined();
    const s = bot.subscribeVideo("A", { capacity: 2 });
    phones.video.next({ session: a, frame: h264(true, 1) });
    phones.video.next({ session: a, frame: h264(false, 2) });
    scheduler.advance(1000); // past the bridge's per-source request interval
    const before = phones.keyframeRequests.length;
    phones.video.next({ session: a, frame: h264(false, 3) }); // full: K1 and D2 go, D3 cannot decode
    expect(s.stats()).toMatchObject({ dropped: 3, queued: 0, keyframeRequests: 1 });
    expect(phones.keyframeRequests.length).toBeGreaterThan(before);
    phones.video.next({ session: a, frame: h264(false, 4) });
    phones.video.next({ session: a, frame: h264(true, 5) });
    const r = await s.next();
    expect(r.done).toBe(false);
    expect(r.done ? undefined : (r.value.frame as { data: Uint8Array }).data.at(-1)).toBe(5);
    await s.close();
    expect(await s.next()).toEqual({ done: true, value: "unsubscribed" });
  });

  it("publishes encoded video that the phones receive, and relays their keyframe requests", async () => {
    const { phones, bot } = await joined();
    const pub = await bot.publishVideo({ width: 640, height: 360, encoded: true });
    let asked = 0;
    pub.keyframeRequests$.subscribe(() => asked++);
    pub.writeEncoded({ data: h264(true, 9).data, keyframe: true });
    const toPhones = phones.sentVideo.filter((s) => s.data.at(-1) === 9).map((s) => s.to);
    expect(toPhones.sort()).toEqual(["A", "B"]);
    expect(bot.session.tracks).toEqual({ video: true, audio: false });
    const before = asked;
    pub.keyframeRequested();
    expect(asked).toBe(before + 1);
    await pub.close();
    expect(bot.session.tracks.video).toBe(false);
  });

  it("per-member audio and the mix without itself, side by side", async () => {
    const { scheduler, phones, bot, a, b, connector } = await joined("forward");
    const fromA = bot.subscribeAudio("A", { sampleRate: 16000 });
    const mixed = bot.subscribeMixedAudio({ sampleRate: 16000, capacityMs: 2000 });
    for (let n = 0; n < 20; n++) {
      phones.audio.next({ session: a, frame: pcmuTone(440, n) });
      phones.audio.next({ session: b, frame: pcmuTone(1000, n) });
      scheduler.advance(20);
    }
    const first = await fromA.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({
      frame: { sampleRate: 16000, channels: 1, samplesPerChannel: 320 },
    });
    const mix: Int16Array[] = [];
    while (mixed.stats().queued > 0) {
      const r = await mixed.next();
      if (!r.done) mix.push(r.value.frame.data);
    }
    const all = new Int16Array(mix.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of mix) {
      all.set(x, o);
      o += x.length;
    }
    const quiet = goertzel(all, 2500, 16000);
    expect(goertzel(all, 440, 16000)).toBeGreaterThan(100 * quiet);
    expect(goertzel(all, 1000, 16000)).toBeGreaterThan(100 * quiet);
    // the audio bridge sends the participant nothing (subscribesAudio): it takes audio per source
    expect(connector.backend.unusedSends).toBe(0);
    await bot.leave();
    expect(await fromA.ended).toBe("closed");
    expect(await mixed.ended).toBe("closed");
  });

  it("a mix narrowed with include holds only those members", async () => {
    const { scheduler, phones, bot, a, b } = await joined("forward");
    const onlyA = bot.subscribeMixedAudio({
      sampleRate: 16000,
      capacityMs: 2000,
      include: (m) => m.identity === "A",
    });
    for (let n = 0; n < 20; n++) {
      phones.audio.next({ session: a, frame: pcmuTone(440, n) });
      phones.audio.next({ session: b, frame: pcmuTone(1000, n) });
      scheduler.advance(20);
    }
    const parts: Int16Array[] = [];
    while (onlyA.stats().queued > 0) {
      const r = await onlyA.next();
      if (!r.done) parts.push(r.value.frame.data);
    }
    const all = Int16Array.from(parts.flatMap((p) => [...p]));
    expect(goertzel(all, 440, 16000)).toBeGreaterThan(100 * goertzel(all, 1000, 16000));
  });

  it("reports each DTMF digit once (the end packet comes three times)", async () => {
    const { phones, bot, a } = await joined();
    const digits: string[] = [];
    bot.events$.subscribe((e) => {
      if (e.type === "dtmf") digits.push(`${e.member.identity}:${e.digit}:${e.durationMs}`);
    });
    for (let i = 0; i < 3; i++) phones.audio.next({ session: a, frame: dtmfEnd(5, 8000) });
    phones.audio.next({ session: a, frame: dtmfEnd(11, 16000) });
    expect(digits).toEqual(["A:5:100", "A:#:100"]);
  });

  it("closing the kit ends every stream with roomClosed and disconnects the participant", async () => {
    const { kit, bot } = await joined();
    const v = bot.subscribeVideo("A");
    const au = bot.subscribeAudio("B");
    const last: ParticipantEvent[] = [];
    bot.events$.subscribe((e) => last.push(e));
    kit.close();
    expect(await v.next()).toEqual({ done: true, value: "roomClosed" });
    expect(await au.next()).toEqual({ done: true, value: "roomClosed" });
    expect(last.at(-1)).toEqual({ type: "disconnected", reason: "roomClosed" });
    expect(bot.connected).toBe(false);
  });

  it("a member's unpublish ends the streams on that track with unpublished", async () => {
    const { connector, bot } = await joined();
    const other = await connector.join({ roomId: "r", identity: "other" });
    const pub = await other.publishVideo({ width: 320, height: 180, encoded: true });
    const s = bot.subscribeVideo("other");
    await pub.close();
    expect(await s.next()).toEqual({ done: true, value: "unpublished" });
    expect(() => bot.subscribeVideo("other")).toThrow(/publishes no video/);
  });

  it("with tokens: a bad, expired or wrong-room token fails typed and leaves nothing behind", async () => {
    const { kit, scheduler } = room();
    const connector = new Connector(kit, {
      channelId: "av",
      scheduler,
      tokens: { secret: SECRET, applicationId: "app" },
    });
    const token = (o: Partial<Parameters<typeof createAccessToken>[0]> = {}) =>
      createAccessToken({
        secret: SECRET,
        applicationId: "app",
        roomId: "r",
        identity: "bot",
        ...o,
      });
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof ConnectorError ? e.code : String(e)),
      );
    expect(await codeOf(connector.join({ roomId: "r", token: "nope" }))).toBe("TOKEN_INVALID");
    expect(await codeOf(connector.join({ roomId: "r", token: await token({ roomId: "x" }) }))).toBe(
      "TOKEN_WRONG_ROOM",
    );
    expect(
      await codeOf(
        connector.join({
          roomId: "r",
          token: await token({ clock: { now: () => Date.now() - 3_600_000 }, ttlMs: 60_000 }),
        }),
      ),
    ).toBe("TOKEN_EXPIRED");
    expect(kit.getSessions("r")).toEqual([]);
    expect(connector.backend.sessions).toBe(0);
    const viewer = await connector.join({
      roomId: "r",
      token: await token({ grants: { canPublish: false, canSubscribe: true } }),
    });
    await expect(
      viewer.publishVideo({ width: 320, height: 180, encoded: true }),
    ).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
    expect(() => viewer.publishAudio({ sampleRate: 48000, channels: 1 })).toThrow(/publish/);
    await flushPromises();
  });
});
