// A program written for @livekit/rtc-node 1.1.0, ported by changing only its import (below: our
// facade instead of "@livekit/rtc-node") and what room.connect is given (our Connector instead of
// the server's URL). That it compiles under the package's strict tsconfig is the type-level test;
// the test then runs it against fake phones.
import { flushPromises } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { room as fakeRoom, phoneSession } from "../../test/fake-phones.js";
import { createAccessToken } from "../access-token.js";
import { Connector } from "../core/connector.js";
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  dispose,
  LocalAudioTrack,
  LocalVideoTrack,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from "./index.js";

// ---- the LiveKit program (only `url`'s type differs: a string there) ----
async function livekitBot(url: Connector, token: string, log: string[]): Promise<Room> {
  const room = new Room();
  room.on(
    RoomEvent.TrackSubscribed,
    async (
      track: RemoteTrack,
      publication: RemoteTrackPublication,
      participant: RemoteParticipant,
    ) => {
      log.push(`subscribed ${participant.identity} ${publication.sid?.slice(0, 3)}`);
      if (track.kind === TrackKind.KIND_VIDEO) {
        const stream = new VideoStream(track);
        for await (const event of stream) {
          const rgba: VideoFrame = event.frame.convert(VideoBufferType.RGBA);
          log.push(`video ${rgba.width}x${rgba.height} at ${event.timestampUs}`);
        }
        log.push(`video of ${participant.identity} ended`);
      } else if (track.kind === TrackKind.KIND_AUDIO) {
        const stream = new AudioStream(track, 48000, 1);
        for await (const frame of stream) if (frame.samplesPerChannel === 0) break;
        log.push(`audio of ${participant.identity} ended`);
      }
    },
  );
  room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) =>
    log.push(`left ${p.identity}`),
  );
  room.on(RoomEvent.DtmfReceived, (code: number, digit: string) =>
    log.push(`dtmf ${code} ${digit}`),
  );
  room.on(RoomEvent.Disconnected, () => log.push("disconnected"));
  await room.connect(url, token, { autoSubscribe: true, dynacast: true });

  const source = new VideoSource(640, 360);
  const track = LocalVideoTrack.createVideoTrack("pattern", source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_CAMERA;
  await room.localParticipant?.publishTrack(track, options);
  const rgba = new Uint8Array(640 * 360 * 4).fill(128);
  source.captureFrame(new VideoFrame(rgba, 640, 360, VideoBufferType.RGBA), 0n);

  const audioSource = new AudioSource(48000, 1);
  const audioTrack = LocalAudioTrack.createAudioTrack("tone", audioSource);
  await room.localParticipant!.publishTrack(
    audioTrack,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
  );
  await audioSource.captureFrame(new AudioFrame(new Int16Array(480), 48000, 1, 480));
  log.push(`queued ${audioSource.queuedDuration} ms`);
  return room;
}
// ---- end of the LiveKit program ----

describe("a LiveKit program ported by changing its import", () => {
  it("type-checks and runs against the facade: subscribes, publishes, ends every loop", async () => {
    const { kit, scheduler } = fakeRoom();
    const a = await kit.join("r", "av", { session: phoneSession("A") });
    const secret = "an-hs256-secret-of-at-least-32-bytes!!";
    const connector = new Connector(kit, { channelId: "av", scheduler, tokens: { secret } });
    const token = await createAccessToken({
      secret,
      applicationId: "framewire",
      roomId: "r",
      identity: "bot",
    });
    const log: string[] = [];
    const r = await livekitBot(connector, token, log);
    await flushPromises();
    expect(log.filter((l) => l.startsWith("subscribed"))).toEqual([
      "subscribed A TR_",
      "subscribed A TR_",
    ]);
    expect(log).toContain("queued 10 ms");
    await kit.leave(a);
    await flushPromises();
    expect(log.slice(-3).sort()).toEqual(["audio of A ended", "left A", "video of A ended"]);
    await r.disconnect();
    await dispose();
    expect(log.at(-1)).toBe("disconnected");
  });
});
