import type { AudioFrame, VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { NEVER, Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import { FrameSource, labelOf } from "../test/video-fakes.js";
import { AudioVideoChannel, type ChannelBackend } from "./channels.js";
import { encodeMulaw } from "./g711.js";
import { RoomKit } from "./room-kit.js";
import type { RoomSession } from "./room-session.js";

/** FakeBackend is an in-memory ChannelBackend: what it was sent, and streams the test drives. */
class FakeBackend implements ChannelBackend {
  readonly video = new Subject<{ session: RoomSession; frame: VideoFrame }>();
  readonly audio = new Subject<{ session: RoomSession; frame: AudioFrame }>();
  readonly ended = new Subject<RoomSession>();
  readonly videoReceived$ = this.video.asObservable();
  readonly audioReceived$ = this.audio.asObservable();
  readonly disconnected$ = this.ended.asObservable();
  readonly sentVideo: string[] = [];
  readonly sentAudio: string[] = [];
  readonly disconnects: string[] = [];
  sendVideoSync(session: RoomSession, chunk: { data: Uint8Array }): number {
    this.sentVideo.push(`${session.id}<${labelOf(chunk.data)}`);
    return 1;
  }
  sendAudio(session: RoomSession): boolean {
    this.sentAudio.push(session.id);
    return true;
  }
  requestKeyframe(): void {}
  disconnect(session: RoomSession | string): void {
    const id = typeof session === "string" ? session : session.id;
    this.disconnects.push(id);
  }
}

function session(id: string, extra: Partial<RoomSession> = {}): RoomSession {
  return {
    id,
    roomId: "r",
    participantId: id,
    channelId: "av",
    metadata: {},
    videoCodec: "h264",
    audio: { sendFormat: { payloadType: 0, codec: "pcmu", clockRate: 8000 } },
    keyframeRequests$: NEVER,
    ...extra,
  };
}

const pcmu = (n: number): AudioFrame => ({
  codec: "pcmu",
  payloadType: 0,
  data: encodeMulaw(new Int16Array(160).fill(1000)),
  rtpTimestamp: n * 160,
  timestampMs: n * 20,
  sequenceNumber: n,
  marker: false,
});

function setup() {
  const scheduler = new ManualScheduler();
  const kit = new RoomKit({ scheduler });
  const phones = new FakeBackend();
  kit.registerChannel(
    new AudioVideoChannel("av", { backend: phones, bridge: true, videoBridge: true }),
  );
  return { kit, phones, scheduler };
}

describe("RoomKit.join with a session's own backend (in-process participants)", () => {
  it("bridges the session like any member: its media in from its backend, the room's out through it", async () => {
    const { kit, phones } = setup();
    const bots = new FakeBackend();
    const a = await kit.join("r", "av", { session: session("A") });
    const bot = await kit.join("r", "av", { session: session("BOT"), backend: bots });
    expect(bot.id).toBe("BOT");
    expect(kit.getSessions("r").map((s) => s.id)).toEqual(["A", "BOT"]);
    const fa = new FrameSource("A");
    phones.video.next({ session: a, frame: fa.key() });
    expect(bots.sentVideo).toEqual(["BOT<A:K0"]);
    expect(phones.sentVideo).toEqual([]);
    const fb = new FrameSource("BOT");
    bots.video.next({ session: bot, frame: fb.key() });
    expect(phones.sentVideo).toEqual(["A<BOT:K0"]);
    phones.audio.next({ session: a, frame: pcmu(1) });
    bots.audio.next({ session: bot, frame: pcmu(2) });
    expect(bots.sentAudio).toEqual(["BOT"]);
    expect(phones.sentAudio).toEqual(["A"]);
    // a frame on the bot's backend for a session it does not own is not taken
    bots.video.next({ session: a, frame: fa.delta() });
    expect(phones.sentVideo).toEqual(["A<BOT:K0"]);
  });

  it("its backend's disconnect unbinds it (once), and kit.leave ends it through its own backend", async () => {
    const { kit, phones } = setup();
    const bots = new FakeBackend();
    const ended: string[] = [];
    kit.events$.subscribe((e) => {
      if (e.type === "session-ended") ended.push(e.session.id);
    });
    await kit.join("r", "av", { session: session("A") });
    const b1 = await kit.join("r", "av", { session: session("B1"), backend: bots });
    const b2 = await kit.join("r", "av", { session: session("B2"), backend: bots });
    bots.ended.next(b1);
    bots.ended.next(b1);
    expect(ended).toEqual(["B1"]);
    await kit.leave(b2);
    expect(bots.disconnects).toEqual(["B2"]);
    expect(phones.disconnects).toEqual([]);
    expect(kit.getSessions("r").map((s) => s.id)).toEqual(["A"]);
    // the channel backend's disconnect of the same id does not touch a session it does not own
    const b3 = await kit.join("r", "av", { session: session("B3"), backend: bots });
    phones.ended.next(b3);
    expect(kit.getSessions("r").map((s) => s.id)).toEqual(["A", "B3"]);
  });

  it("a subscribing session gets each source it subscribes to through the video bridge", async () => {
    const { kit, phones } = setup();
    const bots = new FakeBackend();
    const a = await kit.join("r", "av", { session: session("A") });
    const b = await kit.join("r", "av", { session: session("B") });
    const bot = await kit.join("r", "av", {
      session: session("BOT", { subscribesVideo: true }),
      backend: bots,
    });
    const got: string[] = [];
    const bridge = kit.videoBridge("av")!;
    bridge.subscribe(bot, a).subscribe((f) => got.push(labelOf(f.data)));
    bridge.subscribe(bot, b).subscribe((f) => got.push(labelOf(f.data)));
    phones.video.next({ session: a, frame: new FrameSource("A").key() });
    phones.video.next({ session: b, frame: new FrameSource("B").key() });
    expect(got).toEqual(["A:K0", "B:K0"]);
    expect(bots.sentVideo).toEqual([]);
  });
});
