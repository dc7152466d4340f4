import { flushPromises } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { dtmfEnd, phoneSession, room } from "../../test/fake-phones.js";
import { createAccessToken } from "../access-token.js";
import { Connector } from "../core/connector.js";
import { ConnectorError } from "../errors.js";
import { AudioStream } from "./audio-stream.js";
import {
  ConnectionState,
  DisconnectReason,
  ParticipantKind,
  TrackKind,
  TrackSource,
} from "./enums.js";
import { Room } from "./room.js";
import { RoomEvent } from "./room-event.js";
import type { RemoteTrack } from "./track.js";
import { VideoStream } from "./video-stream.js";

const SECRET = "an-hs256-secret-of-at-least-32-bytes!!";

async function setup(identity = "bot", grants?: { canPublish?: boolean; canSubscribe?: boolean }) {
  const r = room();
  const a = await r.kit.join("r", "av", { session: phoneSession("A") });
  const connector = new Connector(r.kit, {
    channelId: "av",
    scheduler: r.scheduler,
    tokens: { secret: SECRET, applicationId: "app" },
  });
  const token = await createAccessToken({
    secret: SECRET,
    applicationId: "app",
    roomId: "r",
    identity,
    name: "The Bot",
    metadata: "{}",
    ...(grants === undefined ? {} : { grants }),
  });
  return { ...r, a, connector, token, lk: new Room() };
}

/** record logs the room's events as short strings. */
function record(lk: Room): string[] {
  const log: string[] = [];
  lk.on(RoomEvent.ConnectionStateChanged, (s) => log.push(`state:${ConnectionState[s]}`));
  lk.on(RoomEvent.Connected, () => log.push("connected"));
  lk.on(RoomEvent.Disconnected, (r) => log.push(`disconnected:${DisconnectReason[r]}`));
  lk.on(RoomEvent.ParticipantConnected, (p) => log.push(`joined:${p.identity}`));
  lk.on(RoomEvent.ParticipantDisconnected, (p) => log.push(`left:${p.identity}`));
  lk.on(RoomEvent.TrackPublished, (pub, p) =>
    log.push(`published:${p.identity}:${TrackKind[pub.kind!]}`),
  );
  lk.on(RoomEvent.TrackUnpublished, (pub, p) =>
    log.push(`unpublished:${p.identity}:${TrackKind[pub.kind!]}`),
  );
  lk.on(RoomEvent.TrackSubscribed, (t, _pub, p) =>
    log.push(`subscribed:${p.identity}:${TrackKind[t.kind!]}`),
  );
  lk.on(RoomEvent.TrackUnsubscribed, (t, _pub, p) =>
    log.push(`unsubscribed:${p.identity}:${TrackKind[t.kind!]}`),
  );
  lk.on(RoomEvent.DtmfReceived, (code, digit, p) =>
    log.push(`dtmf:${p.identity}:${code}:${digit}`),
  );
  return log;
}

describe("Room (LiveKit's shape, fake phones, virtual time)", () => {
  it("connects with the token's room and emits LiveKit's events in order as a phone joins and leaves", async () => {
    const { kit, connector, token, lk } = await setup();
    const log = record(lk);
    await lk.connect(connector, token, { autoSubscribe: true, dynacast: true });
    expect(lk.isConnected).toBe(true);
    expect(lk.name).toBe("r");
    expect(await lk.getSid()).toBe("RM_r");
    expect(lk.localParticipant).toMatchObject({ identity: "bot", name: "The Bot", metadata: "{}" });
    const pa = lk.remoteParticipants.get("A")!;
    expect(pa.kind).toBe(ParticipantKind.SIP);
    expect([...pa.trackPublications.values()].map((p) => [p.kind, p.source, p.subscribed])).toEqual(
      [
        [TrackKind.KIND_VIDEO, TrackSource.SOURCE_CAMERA, false],
        [TrackKind.KIND_AUDIO, TrackSource.SOURCE_MICROPHONE, false],
      ],
    );
    expect(log).toEqual(["state:CONN_CONNECTED", "connected"]);
    await flushPromises(); // members already there are subscribed on the next turn
    expect(log.splice(0)).toEqual([
      "state:CONN_CONNECTED",
      "connected",
      "subscribed:A:KIND_VIDEO",
      "subscribed:A:KIND_AUDIO",
    ]);
    expect(
      [...pa.trackPublications.values()].every((p) => p.subscribed && p.track !== undefined),
    ).toBe(true);
    const b = await kit.join("r", "av", { session: phoneSession("B") });
    expect(log.splice(0)).toEqual([
      "joined:B",
      "published:B:KIND_VIDEO",
      "subscribed:B:KIND_VIDEO",
      "published:B:KIND_AUDIO",
      "subscribed:B:KIND_AUDIO",
    ]);
    expect(lk.numParticipants).toBe(3);
    const pb = lk.remoteParticipants.get("B")!;
    await kit.leave(b);
    expect(log.splice(0)).toEqual([
      "unsubscribed:B:KIND_VIDEO",
      "unpublished:B:KIND_VIDEO",
      "unsubscribed:B:KIND_AUDIO",
      "unpublished:B:KIND_AUDIO",
      "left:B",
    ]);
    expect(lk.remoteParticipants.has("B")).toBe(false);
    expect(pb.trackPublications.size).toBe(0);
    await lk.disconnect();
    expect(log).toEqual(["state:CONN_DISCONNECTED", "disconnected:CLIENT_INITIATED"]);
    expect(lk.isConnected).toBe(false);
    expect(lk.listenerCount(RoomEvent.Connected)).toBe(0); // LiveKit removes the listeners
    expect(kit.getSessions("r").map((s) => s.participantId)).toEqual(["A"]);
  });

  it("autoSubscribe false: publications without tracks until setSubscribed(true)", async () => {
    const { connector, token, lk } = await setup();
    const log = record(lk);
    await lk.connect({ connector }, token, { autoSubscribe: false, dynacast: false });
    await flushPromises();
    expect(log).toEqual(["state:CONN_CONNECTED", "connected"]);
    const [video] = lk.remoteParticipants.get("A")!.trackPublications.values();
    video!.setSubscribed(true);
    expect(log.at(-1)).toBe("subscribed:A:KIND_VIDEO");
    const stream = new VideoStream(video!.track!);
    video!.setSubscribed(false);
    expect(log.at(-1)).toBe("unsubscribed:A:KIND_VIDEO");
    expect(await stream.ended).toBe("unsubscribed");
    expect(
      () =>
        new VideoStream(
          lk.remoteParticipants.get("A")!.trackPublications.values().next().value!
            .track as RemoteTrack,
        ),
    ).toThrow(/RemoteVideoTrack/);
    await lk.disconnect();
  });

  it("emits DtmfReceived once per RFC 4733 event with LiveKit's arguments", async () => {
    const { phones, a, connector, token, lk } = await setup();
    const log = record(lk);
    await lk.connect(connector, token);
    for (let i = 0; i < 3; i++) phones.audio.next({ session: a, frame: dtmfEnd(5, 8000) });
    phones.audio.next({ session: a, frame: dtmfEnd(11, 16000) });
    expect(log.filter((l) => l.startsWith("dtmf"))).toEqual(["dtmf:A:5:5", "dtmf:A:11:#"]);
    await lk.disconnect();
  });

  it("a bad token, a missing room claim or a wrong server fails typed and leaves nothing behind", async () => {
    const { kit, connector, lk } = await setup();
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof ConnectorError ? e.code : String(e)),
      );
    expect(await code(lk.connect(connector, "not-a-jwt"))).toBe("TOKEN_INVALID");
    const other = await createAccessToken({
      secret: "another-secret-of-at-least-32-bytes!!!",
      applicationId: "app",
      roomId: "r",
      identity: "bot",
    });
    expect(await code(lk.connect(connector, other))).toBe("TOKEN_INVALID");
    const wrongApp = await createAccessToken({
      secret: SECRET,
      applicationId: "other",
      roomId: "r",
      identity: "bot",
    });
    expect(await code(lk.connect(connector, wrongApp))).toBe("TOKEN_WRONG_APPLICATION");
    expect(await code(lk.connect({} as Connector, wrongApp))).toBe("BAD_OPTION");
    expect(lk.isConnected).toBe(false);
    expect(kit.getSessions("r").map((s) => s.participantId)).toEqual(["A"]);
    expect(connector.backend.sessions).toBe(0);
  });

  it("a token without canSubscribe: tracks fail to subscribe (TrackSubscriptionFailed), publishing is refused without canPublish", async () => {
    const { connector, lk, token: _ } = await setup();
    const token = await createAccessToken({
      secret: SECRET,
      applicationId: "app",
      roomId: "r",
      identity: "viewer",
      grants: { canSubscribe: false, canPublish: true },
    });
    const failed: string[] = [];
    lk.on(RoomEvent.TrackSubscriptionFailed, (sid, p, reason) =>
      failed.push(`${p.identity}:${sid.slice(0, 3)}:${reason}`),
    );
    await lk.connect(connector, token);
    await flushPromises();
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/^A:TR_:.*canSubscribe/);
    await lk.disconnect();
  });

  it("every for await ends: participant leaves (participantLeft), room disconnects (closed), kit closes (roomClosed)", async () => {
    const { kit, a, connector, token, lk } = await setup();
    const disconnects: DisconnectReason[] = [];
    lk.on(RoomEvent.Disconnected, (r) => disconnects.push(r));
    await lk.connect(connector, token);
    await flushPromises();
    const tracks = () =>
      [...lk.remoteParticipants.get("A")!.trackPublications.values()].map((p) => p.track!);
    const drain = async (s: AsyncIterable<unknown>) => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    };
    const [va, aa] = tracks();
    const v1 = new VideoStream(va!);
    const a1 = new AudioStream(aa!, 16000, 1);
    const loops = [drain(v1), drain(a1)];
    await kit.leave(a);
    expect(await Promise.all(loops)).toEqual([0, 0]);
    expect([v1.endReason, a1.endReason]).toEqual(["participantLeft", "participantLeft"]);

    const b = await kit.join("r", "av", { session: phoneSession("B") });
    void b;
    const pb = lk.remoteParticipants.get("B")!;
    const [vb, ab] = [...pb.trackPublications.values()].map((p) => p.track!);
    const v2 = new VideoStream(vb!);
    const a2 = new AudioStream(ab!, { sampleRate: 48000, numChannels: 2, frameSizeMs: 20 });
    const mixed = AudioStream.mixed(lk);
    const loops2 = [drain(v2), drain(a2), drain(mixed)];
    await lk.disconnect();
    expect(await Promise.all(loops2)).toEqual([0, 0, 0]);
    expect([v2.endReason, a2.endReason, mixed.endReason]).toEqual(["closed", "closed", "closed"]);

    const lk2 = new Room();
    const reasons: DisconnectReason[] = [];
    lk2.on(RoomEvent.Disconnected, (r) => reasons.push(r));
    await lk2.connect(connector, token);
    await flushPromises();
    const v3 = new VideoStream(
      lk2.remoteParticipants.get("B")!.trackPublications.values().next().value!.track!,
    );
    const loop3 = drain(v3);
    kit.close();
    expect(await loop3).toBe(0);
    expect(v3.endReason).toBe("roomClosed");
    expect(reasons).toEqual([DisconnectReason.ROOM_DELETED]);
    expect(disconnects).toEqual([DisconnectReason.CLIENT_INITIATED]);
  });

  it("a listener that throws does not stop the other listeners or the room", async () => {
    const { kit, connector, token, lk } = await setup();
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on("uncaughtException", onError);
    try {
      const seen: string[] = [];
      lk.on(RoomEvent.ParticipantConnected, () => {
        throw new Error("listener bug");
      });
      lk.on(RoomEvent.ParticipantConnected, (p) => seen.push(p.identity));
      await lk.connect(connector, token);
      await kit.join("r", "av", { session: phoneSession("B") });
      expect(seen).toEqual(["B"]);
      expect(lk.remoteParticipants.get("B")?.trackPublications.size).toBe(2);
      await new Promise((r) => setTimeout(r, 5));
      expect(errors).toHaveLength(1);
    } finally {
      process.off("uncaughtException", onError);
      await lk.disconnect();
    }
  });

  it("fromParticipant waits for the participant's camera and ends when the room disconnects", async () => {
    const { connector, token, lk } = await setup();
    await lk.connect(connector, token);
    const otherToken = await createAccessToken({
      secret: SECRET,
      applicationId: "app",
      roomId: "r",
      identity: "other",
    });
    await connector.join({ roomId: "r", token: otherToken });
    const s = VideoStream.fromParticipant(lk.remoteParticipants.get("other")!);
    const loop = (async () => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    })();
    await flushPromises();
    expect(s.endReason).toBeUndefined();
    await lk.disconnect();
    expect(await loop).toBe(0);
    expect(s.endReason).toBe("closed");
  });

  it("a plain VideoStream and AudioStream end with unpublished when the member unpublishes", async () => {
    const { connector, token, lk } = await setup();
    const log = record(lk);
    await lk.connect(connector, token);
    const other = await connector.join({
      roomId: "r",
      token: await createAccessToken({
        secret: SECRET,
        applicationId: "app",
        roomId: "r",
        identity: "other",
      }),
    });
    const video = await other.publishVideo({ width: 320, height: 180, encoded: true });
    const audio = other.publishAudio({ sampleRate: 16000, channels: 1 });
    const pubs = [...lk.remoteParticipants.get("other")!.trackPublications.values()];
    expect(pubs.map((p) => [TrackKind[p.kind!], p.subscribed, p.mimeType])).toEqual([
      ["KIND_VIDEO", true, "video/H264"],
      ["KIND_AUDIO", true, "audio/L16"],
    ]);
    const vs = new VideoStream(pubs[0]!.track!);
    const as = new AudioStream(pubs[1]!.track!);
    const drain = async (s: AsyncIterable<unknown>) => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    };
    const loops = [drain(vs), drain(as)];
    await video.close();
    audio.close();
    expect(await Promise.all(loops)).toEqual([0, 0]);
    expect([vs.endReason, as.endReason]).toEqual(["unpublished", "unpublished"]);
    expect(log.filter((l) => l.includes("other")).slice(-4)).toEqual([
      "unsubscribed:other:KIND_VIDEO",
      "unpublished:other:KIND_VIDEO",
      "unsubscribed:other:KIND_AUDIO",
      "unpublished:other:KIND_AUDIO",
    ]);
    await lk.disconnect();
  });
});
