// A recorder and a relay on the LiveKit-style facade: encoded frames in and out, node-av never loaded.
import { flushPromises } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { h264, phoneSession, room } from "../../test/fake-phones.js";
import { Connector } from "../core/connector.js";
import { loadedMedia } from "../core/media-loader.js";
import { EncodedVideoSource } from "./encoded-video-source.js";
import { EncodedVideoStream } from "./encoded-video-stream.js";
import { TrackSource } from "./enums.js";
import { Room } from "./room.js";
import { LocalVideoTrack } from "./track.js";

const token = `e30.${Buffer.from(JSON.stringify({ sub: "recorder", video: { room: "r" } })).toString("base64url")}.x`;

describe("encoded streams and sources (rawMedia: false)", () => {
  it("records a caller's access units as sent and relays encoded frames to the phones without loading node-av", async () => {
    const { kit, scheduler, phones } = room();
    const a = await kit.join("r", "av", { session: phoneSession("A") });
    const connector = new Connector(kit, { channelId: "av", scheduler });
    const lk = new Room();
    await lk.connect(connector, token, { rawMedia: false });
    await flushPromises();
    const track = [...lk.remoteParticipants.get("A")!.trackPublications.values()][0]!.track!;
    const rec = new EncodedVideoStream(track, { capacity: 8 });
    phones.video.next({ session: a, frame: h264(false, 1) }); // before a keyframe: gated by the bridge
    phones.video.next({ session: a, frame: h264(true, 2, 1000) });
    phones.video.next({ session: a, frame: h264(false, 3, 1033) });
    const reader = rec.getReader();
    const got = [(await reader.read()).value!, (await reader.read()).value!];
    reader.releaseLock();
    expect(got.map((e) => [e.frame.data.at(-1), e.keyframe, e.timestampUs])).toEqual([
      [2, true, 0n],
      [3, false, 33_000n],
    ]);
    scheduler.advance(1000);
    const before = phones.keyframeRequests.length;
    rec.requestKeyframe();
    expect(phones.keyframeRequests.length).toBe(before + 1);
    expect(rec.stats()).toMatchObject({ delivered: 2, keyframeRequests: 1 });

    const source = new EncodedVideoSource(640, 360);
    let wanted = 0;
    source.onKeyframeRequest(() => wanted++);
    expect(source.writeFrame(h264(true, 7).data, true)).toBe(false); // not published: dropped
    const pub = await lk.localParticipant!.publishTrack(
      LocalVideoTrack.createVideoTrack("relay", source),
    );
    expect([pub.source, wanted]).toEqual([TrackSource.SOURCE_CAMERA, 1]); // asked for one at once
    expect(source.writeFrame(h264(true, 9).data, true, 0n)).toBe(true);
    expect(phones.sentVideo.filter((s) => s.data.at(-1) === 9).map((s) => s.to)).toEqual(["A"]);
    connector.participants()[0]!.keyframeRequested(); // a member asks
    expect(wanted).toBe(2);
    await lk.disconnect();
    expect(await rec.ended).toBe("closed");
    expect(source.published).toBe(false);
    expect(loadedMedia()).toBeUndefined();
  });

  it("one bounded queue per stream, drops counted; break out of for await ends the stream as unsubscribed", async () => {
    const { kit, scheduler, phones } = room();
    const a = await kit.join("r", "av", { session: phoneSession("A") });
    const lk = new Room();
    await lk.connect(new Connector(kit, { channelId: "av", scheduler }), token, {
      rawMedia: false,
    });
    await flushPromises();
    const track = [...lk.remoteParticipants.get("A")!.trackPublications.values()][0]!.track!;
    const s = new EncodedVideoStream(track, { capacity: 2 });
    for (let i = 0; i <= 10; i++) phones.video.next({ session: a, frame: h264(i % 5 === 0, i) });
    const st = s.stats();
    expect(st.received).toBeGreaterThanOrEqual(5); // what the bridge's keyframe gate passes
    expect(st.queued).toBeLessThanOrEqual(2);
    expect(st.dropped).toBeGreaterThan(0);
    for await (const e of s) {
      expect(e.keyframe).toBe(true); // what it delivers starts at a keyframe
      break;
    }
    expect(s.endReason).toBe("unsubscribed");
    phones.video.next({ session: a, frame: h264(true, 99) });
    expect(s.stats().received).toBe(st.received); // closed: the bridge no longer feeds it
    await lk.disconnect();
  });
});
