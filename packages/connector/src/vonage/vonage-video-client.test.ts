import { readFileSync } from "node:fs";
import { nativeCounts, VideoConverter, VideoDecoder } from "@framewire/media";
import type { RawVideoFrame } from "@framewire/media/frames";
import { joinAnnexB, type VideoFrame as RtpVideoFrame, splitAnnexB } from "@framewire/rtp-video";
import { flushPromises, g711Decode, h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import type { RoomSession } from "@framewire/video-bridge";
import { describe, expect, it } from "vitest";
import { pcmuTone, phoneSession, room } from "../../test/fake-phones.js";
import { createAccessToken } from "../access-token.js";
import { Connector } from "../core/connector.js";
import { InvalidSettingError } from "../errors.js";
import type { SessionCallbacks } from "./callbacks.js";
import type { AudioData, SessionSettings, Stream, VideoFrame } from "./models.js";
import { videoFrameBytes } from "./settings.js";
import { VonageVideoClient } from "./vonage-video-client.js";

const SECRET = "an-hs256-secret-of-at-least-32-bytes!!";
const APP = "app-1";
const clip = h264AccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))), {
  splitAnnexB,
  joinAnnexB,
});

function goertzel(x: ArrayLike<number>, hz: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const all = new Int16Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    all.set(x, o);
    o += x.length;
  }
  return all;
}

/** until flushes the event loop (no timers) until `cond` holds, a bounded number of turns. */
async function until(cond: () => boolean, turns = 500_000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await flushPromises();
  expect(cond()).toBe(true);
}

/** encoderIdle waits until the published video has encoded (or dropped) every captured frame. */
async function encoderIdle(connector: Connector): Promise<void> {
  const pub = connector.participants()[0]?.videoPublication;
  if (pub === undefined) return;
  await until(() => {
    const s = pub.stats();
    return s.captured === s.sent + s.dropped + s.encodeErrors;
  });
}

function clipFrame(i: number): RtpVideoFrame {
  return {
    codec: "h264",
    data: clip.units[i]!,
    keyframe: clip.idr[i]!,
    timestampMs: i * 33,
    rtpTimestamp: i * 3000,
    sequence: i,
    width: 640,
    height: 360,
  };
}

/** tone is `ms` of a sine at `hz`, interleaved over `channels`. */
function tone(hz: number, ms: number, rate: number, channels: number, from = 0): AudioData {
  const n = (rate * ms) / 1000;
  const s = new Int16Array(n * channels);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++)
      s[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (from + i)) / rate));
  return { sampleBuffer: s, sampleRate: rate, numberOfChannels: channels, numberOfFrames: n };
}

/** pattern is an ARGB32 (B,G,R,A in memory) frame: left half blue, right half red. */
function pattern(width: number, height: number): VideoFrame {
  const buf = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      buf.set(x < width / 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], o);
    }
  return { frameBuffer: buf, resolution: { width, height }, format: "ARGB32" };
}

async function setup(strategy: "mix" | "forward" = "mix") {
  const r = room(strategy);
  const a = await r.kit.join("r", "av", { session: phoneSession("A") });
  const b = await r.kit.join("r", "av", { session: phoneSession("B") });
  const connector = new Connector(r.kit, {
    channelId: "av",
    scheduler: r.scheduler,
    tokens: { secret: SECRET, applicationId: APP },
  });
  const client = new VonageVideoClient(connector, { scheduler: r.scheduler });
  const token = (o: Partial<Parameters<typeof createAccessToken>[0]> = {}) =>
    createAccessToken({
      secret: SECRET,
      applicationId: APP,
      roomId: "r",
      identity: "bot",
      metadata: "role=bot",
      ...o,
    });
  return { ...r, a, b, connector, client, token };
}

describe("VonageVideoClient: the whole lifecycle with two fake phones and real media", () => {
  it("connect → connections and streams → subscribe both → frames and mixed audio → publish → the phones get it → unpublish → disconnect, in order, nothing left", async () => {
    // "forward": video-bridge's mix strategy throws a RangeError (AudioMixer.take's starved
    // flush reads more than a frame) at the end of the phones' talkspurt; reported to the lead
    const { kit, scheduler, phones, a, b, connector, client, token } = await setup("forward");
    const log: string[] = [];
    const frames = new Map<string, VideoFrame[]>();
    const mixed: AudioData[] = [];
    const streams: Stream[] = [];
    const settings: SessionSettings = {
      av: {
        audioPublisher: { sampleRate: 24000, numberOfChannels: 1 },
        audioSubscribersMix: { sampleRate: 16000, numberOfChannels: 2 },
        videoPublisher: { resolution: { width: 320, height: 240 }, fps: 10, format: "ARGB32" },
      },
    };
    const callbacks: SessionCallbacks = {
      onError: (_, d) => log.push(`error ${d}`),
      onConnected: (s) => log.push(`connected ${s.id}`),
      onDisconnected: (s) => log.push(`disconnected ${s.id}`),
      onConnectionCreated: (_, c) => log.push(`connectionCreated ${c.id}`),
      onConnectionDropped: (_, c) => log.push(`connectionDropped ${c.id}`),
      onStreamReceived: (_, s) => {
        streams.push(s);
        log.push(`streamReceived ${s.connection.id}`);
      },
      onStreamDropped: (_, s) => log.push(`streamDropped ${s.connection.id}`),
      onAudioData: (_, d) => mixed.push(d),
      onReadyForAudio: () => log.push("readyForAudio"),
    };
    // what @framewire/media holds before the client loads and uses it
    const before = nativeCounts();
    const session = await client.connect(APP, "r", await token(), settings, callbacks);
    expect(session).toEqual({ id: "r" });
    expect(client.isConnected()).toBe(true);
    expect(client.getConnection()).toMatchObject({ data: "role=bot" });
    expect(log).toEqual([
      "connected r",
      "connectionCreated A",
      "connectionCreated B",
      "streamReceived A",
      "streamReceived B",
    ]);

    // subscribe both: A as RGB24 (B,G,R in memory) at 320x180, B as ARGB32 (B,G,R,A) at 160x90
    const [sa, sb] = streams as [Stream, Stream];
    const sub = (stream: Stream, label: string) => ({
      onConnected: () => log.push(`subscriberConnected ${label}`),
      onDisconnected: () => log.push(`subscriberDisconnected ${label}`),
      onError: (_: unknown, d: string) => log.push(`subscriberError ${label} ${d}`),
      onRenderFrame: (s: { stream: Stream }, f: VideoFrame) => {
        expect(s.stream.id).toBe(stream.id);
        frames.set(label, [
          ...(frames.get(label) ?? []),
          { ...f, frameBuffer: f.frameBuffer.slice() },
        ]);
      },
    });
    await client.subscribe(
      sa,
      { videoSettings: { preferredResolution: { width: 320, height: 180 }, format: "RGB24" } },
      sub(sa, "A"),
    );
    await client.subscribe(
      sb,
      { videoSettings: { preferredResolution: { width: 160, height: 90 }, format: "ARGB32" } },
      sub(sb, "B"),
    );
    const N = 12;
    for (let i = 0; i < N; i++) {
      phones.video.next({ session: a, frame: clipFrame(i) });
      phones.video.next({ session: b, frame: clipFrame(i) });
      await until(
        () => (frames.get("A")?.length ?? 0) > i - 2 && (frames.get("B")?.length ?? 0) > i - 2,
      );
    }
    await until(
      () => (frames.get("A")?.length ?? 0) >= N - 2 && (frames.get("B")?.length ?? 0) >= N - 2,
    );
    for (const [label, w, h, format] of [
      ["A", 320, 180, "RGB24"],
      ["B", 160, 90, "ARGB32"],
    ] as const) {
      for (const f of frames.get(label)!) {
        expect(f.resolution).toEqual({ width: w, height: h });
        expect(f.format).toBe(format);
        expect(f.frameBuffer.byteLength).toBe(videoFrameBytes(format, w, h));
      }
    }
    // the first frame A rendered is the clip's first picture scaled to bgr24 (RGB24's memory order)
    const decoder = new VideoDecoder({ codec: "h264" });
    const converter = new VideoConverter();
    const first: RawVideoFrame[] = [];
    for (let i = 0; first.length === 0 && i < N; i++)
      first.push(...(await decoder.decode(clip.units[i]!)));
    const expectA = converter.convert(first[0]!, { format: "bgr24", width: 320, height: 180 });
    const expectB = converter.convert(first[0]!, { format: "bgra", width: 160, height: 90 });
    expect(frames.get("A")![0]!.frameBuffer).toEqual(expectA.data.subarray(0, 320 * 180 * 3));
    expect(frames.get("B")![0]!.frameBuffer).toEqual(expectB.data.subarray(0, 160 * 90 * 4));
    await decoder.close();
    converter.close();

    // mixed audio: both tones, at 16 kHz stereo
    for (let n = 0; n < 25; n++) {
      phones.audio.next({ session: a, frame: pcmuTone(440, n) });
      phones.audio.next({ session: b, frame: pcmuTone(1000, n) });
      scheduler.advance(20);
      await flushPromises();
    }
    await until(() => mixed.length >= 20);
    for (const d of mixed)
      expect(d).toMatchObject({ sampleRate: 16000, numberOfChannels: 2, numberOfFrames: 320 });
    const left = concat(mixed.map((d) => d.sampleBuffer.filter((_, i) => i % 2 === 0)));
    const quiet = goertzel(left, 2500, 16000);
    expect(goertzel(left, 440, 16000)).toBeGreaterThan(100 * quiet);
    expect(goertzel(left, 1000, 16000)).toBeGreaterThan(100 * quiet);

    // publish: the phones see and hear the client (pinned to it, and it speaks a tone)
    const publisherLog: string[] = [];
    const publisher = await client.publish(
      { name: "Bot", hasAudio: true, hasVideo: true },
      {
        onStreamCreated: (p) => publisherLog.push(`created ${p.stream.connection.id}`),
        onStreamDestroyed: () => publisherLog.push("destroyed"),
        onError: (_, d) => publisherLog.push(`error ${d}`),
      },
    );
    log.push("published");
    expect(client.isPublishing()).toBe(true);
    const botSession = kit.getSessions("r").find((s) => s.participantId === "bot") as RoomSession;
    expect(publisher.stream.connection.id).toBe(botSession.id);
    kit.videoBridge("av")!.pin(a, botSession);
    kit.videoBridge("av")!.pin(b, botSession);
    const fromBot = new Set<Uint8Array>();
    const audioBefore = phones.sentAudio.length;
    const sentVideoBefore = phones.sentVideo.length;
    const room$ = connector.backend.videoReceived$.subscribe((v) => fromBot.add(v.frame.data));
    const frame = pattern(320, 240);
    for (let k = 0; k < 10; k++) {
      client.addVideo(frame);
      for (let j = 0; j < 5; j++) {
        client.addAudio(tone(600, 20, 24000, 1, (k * 5 + j) * 480));
        scheduler.advance(20);
        await encoderIdle(connector);
      }
    }
    room$.unsubscribe();
    const toPhones = phones.sentVideo.slice(sentVideoBefore).filter((s) => fromBot.has(s.data));
    const pubStats = connector.participants()[0]!.videoPublication!.stats();
    expect(pubStats).toMatchObject({ captured: 10, sent: 10, dropped: 0, encodeErrors: 0 });
    expect(toPhones.filter((s) => s.to === "A").length).toBe(10);
    expect(toPhones.filter((s) => s.to === "B").length).toBe(10);
    expect(toPhones.find((s) => s.to === "A")?.keyframe).toBe(true);
    const heardByA = concat(
      phones.sentAudio
        .slice(audioBefore)
        .filter((s) => s.to === "A")
        .map((s) => g711Decode("pcmu", s.data)),
    );
    expect(goertzel(heardByA, 600, 8000)).toBeGreaterThan(100 * goertzel(heardByA, 2500, 8000));
    expect(client.getMediaBufferStats()).toMatchObject({
      audio: { durationMs: expect.any(Number) },
      video: { durationMs: expect.any(Number) },
    });

    // unpublish, then disconnect: both subscribers end, nothing is left
    await client.unpublish();
    expect(client.isPublishing()).toBe(false);
    log.push("unpublished");
    await client.disconnect();
    expect(publisherLog).toEqual([`created ${botSession.id}`, "destroyed"]);
    expect(log).toEqual([
      "connected r",
      "connectionCreated A",
      "connectionCreated B",
      "streamReceived A",
      "streamReceived B",
      "subscriberConnected A",
      "subscriberConnected B",
      "readyForAudio",
      "published",
      "unpublished",
      "subscriberDisconnected A",
      "subscriberDisconnected B",
      "disconnected r",
    ]);
    expect(client.isConnected()).toBe(false);
    expect(client.getConnection()).toBeUndefined();
    expect(client.callbackErrors).toBe(0);
    expect(connector.participants()).toEqual([]);
    expect(connector.backend.sessions).toBe(0);
    expect(kit.getSessions("r").map((s) => s.id)).toEqual(["A", "B"]);
    expect(nativeCounts()).toEqual(before);
  });
});

describe("VonageVideoClient: one client sees another's pattern, in each format's memory order", () => {
  it("blue left, red right: RGB24 is B,G,R in memory, ARGB32 is B,G,R,A, YUV420P has U high on blue and V high on red", async () => {
    const { scheduler, connector, client, token } = await setup();
    const viewer = new VonageVideoClient(connector, { scheduler });
    await client.connect(APP, "r", await token({ identity: "painter" }), {
      av: {
        videoPublisher: { resolution: { width: 320, height: 240 }, fps: 10, format: "ARGB32" },
      },
    });
    const streams: Stream[] = [];
    await viewer.connect(APP, "r", await token({ identity: "viewer" }), undefined, {
      onStreamReceived: (_, s) => streams.push(s),
    });
    await client.publish({ name: "Painter", hasAudio: false });
    const painted = streams.find((s) => s.connection.id === client.getConnection()!.id)!;
    const got: VideoFrame[] = [];
    await viewer.subscribe(
      painted,
      {
        subscribeToAudio: false,
        videoSettings: { preferredResolution: { width: 160, height: 120 }, format: "RGB24" },
      },
      { onRenderFrame: (_, f) => got.push(f) },
    );
    const painter = connector.participants().find((p) => p.identity === "painter")!;
    for (let k = 0; k < 3; k++) {
      client.addVideo(pattern(320, 240));
      scheduler.advance(100);
      await until(() => {
        const st = painter.videoPublication!.stats();
        return st.captured === st.sent + st.dropped + st.encodeErrors;
      });
      await until(() => got.length > k);
    }
    const at = (f: VideoFrame, x: number, y: number, bpp: number) => [
      ...f.frameBuffer.subarray((y * 160 + x) * bpp, (y * 160 + x) * bpp + bpp),
    ];
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 24);
    const rgb = got.at(-1)!;
    expect(rgb).toMatchObject({ format: "RGB24", resolution: { width: 160, height: 120 } });
    expect(near(at(rgb, 20, 60, 3), [255, 0, 0])).toBe(true); // blue: B first in memory
    expect(near(at(rgb, 140, 60, 3), [0, 0, 255])).toBe(true); // red: R last
    await viewer.unsubscribe(painted);
    for (const format of ["ARGB32", "YUV420P"] as const) {
      const frames: VideoFrame[] = [];
      await viewer.subscribe(
        painted,
        {
          subscribeToAudio: false,
          videoSettings: { preferredResolution: { width: 160, height: 120 }, format },
        },
        { onRenderFrame: (_, f) => frames.push(f) },
      );
      // a new subscription starts at a keyframe: the bridge asks the painter for one, at most
      // once per its request interval, so this may take up to a second of ticks
      for (let k = 0; k < 20 && frames.length === 0; k++) {
        client.addVideo(pattern(320, 240));
        scheduler.advance(100);
        await until(() => {
          const st = painter.videoPublication!.stats();
          return st.captured === st.sent + st.dropped + st.encodeErrors;
        });
        for (let i = 0; i < 200; i++) await flushPromises();
      }
      await until(() => frames.length > 0);
      const f = frames.at(-1)!;
      expect(f.frameBuffer.byteLength).toBe(videoFrameBytes(format, 160, 120));
      if (format === "ARGB32") {
        expect(near(at(f, 20, 60, 4), [255, 0, 0, 255])).toBe(true);
        expect(near(at(f, 140, 60, 4), [0, 0, 255, 255])).toBe(true);
      } else {
        const u = (x: number, y: number) => f.frameBuffer[160 * 120 + (y >> 1) * 80 + (x >> 1)]!;
        const v = (x: number, y: number) =>
          f.frameBuffer[160 * 120 + 80 * 60 + (y >> 1) * 80 + (x >> 1)]!;
        expect(u(20, 60)).toBeGreaterThan(200); // blue
        expect(v(140, 60)).toBeGreaterThan(200); // red
        expect(u(140, 60)).toBeLessThan(128);
        expect(v(20, 60)).toBeLessThan(128);
      }
      await viewer.unsubscribe(painted);
    }
    await viewer.disconnect();
    await client.disconnect();
  });
});

describe("VonageVideoClient: connections and streams that come and go", () => {
  it("a newcomer's connection and stream; its leaving drops the stream (unsubscribe in onStreamDropped works) and the connection", async () => {
    const { kit, client, token } = await setup();
    const log: string[] = [];
    let received: Stream | undefined;
    await client.connect(APP, "r", await token(), undefined, {
      onConnectionCreated: (_, c) => log.push(`connectionCreated ${c.id}`),
      onConnectionDropped: (_, c) => log.push(`connectionDropped ${c.id}`),
      onStreamReceived: (_, s) => {
        log.push(`streamReceived ${s.connection.id}`);
        received = s;
      },
      onStreamDropped: (_, s) => {
        log.push(`streamDropped ${s.connection.id}`);
        void client.unsubscribe(s);
      },
    });
    log.length = 0;
    const c = await kit.join("r", "av", { session: phoneSession("C") });
    expect(received?.connection.id).toBe("C");
    await client.subscribe(
      received!,
      { subscribeToAudio: false },
      {
        onDisconnected: () => log.push("subscriberDisconnected C"),
      },
    );
    await kit.leave(c);
    expect(log).toEqual([
      "connectionCreated C",
      "streamReceived C",
      "streamDropped C",
      "subscriberDisconnected C",
      "connectionDropped C",
    ]);
    await expect(client.subscribe(received!)).rejects.toMatchObject({ code: "SESSION_NOT_FOUND" });
    await client.disconnect();
  });

  it("another client's publish and unpublish are a stream received and dropped, under the id its publisher has", async () => {
    const { scheduler, connector, client, token } = await setup();
    const other = new VonageVideoClient(connector, { scheduler });
    const seen: string[] = [];
    await client.connect(APP, "r", await token(), undefined, {
      onStreamReceived: (_, s) => seen.push(`+${s.id}`),
      onStreamDropped: (_, s) => seen.push(`-${s.id}`),
    });
    seen.length = 0;
    await other.connect(APP, "r", await token({ identity: "other" }), {
      av: { audioPublisher: { sampleRate: 16000, numberOfChannels: 1 } },
    });
    const id = other.getConnection()!.id;
    const own = await other.publish({ name: "Other", hasVideo: false });
    expect(own.stream.id).toBe(`${id}/stream`);
    await other.unpublish();
    await other.publish({ name: "Other", hasVideo: false });
    await other.disconnect();
    expect(seen).toEqual([`+${id}/stream`, `-${id}/stream`, `+${id}/stream`, `-${id}/stream`]);
    await client.disconnect();
  });

  it("closing the room: the publisher's stream is destroyed, subscribers disconnect, onError SESSION_CLOSED, onDisconnected", async () => {
    const { kit, client, token, connector } = await setup();
    const before = nativeCounts();
    const log: string[] = [];
    const streams: Stream[] = [];
    await client.connect(
      APP,
      "r",
      await token(),
      {
        av: {
          videoPublisher: { resolution: { width: 64, height: 48 }, fps: 5, format: "YUV420P" },
        },
      },
      {
        onStreamReceived: (_, s) => streams.push(s),
        onError: (_, __, code) => log.push(`error ${code}`),
        onDisconnected: () => log.push("disconnected"),
      },
    );
    await client.subscribe(streams[0]!, undefined, {
      onDisconnected: () => log.push("subscriberDisconnected"),
    });
    await client.publish({ name: "Bot" }, { onStreamDestroyed: () => log.push("destroyed") });
    kit.close();
    // the phones may leave before the client is ended (the subscriber then goes with its stream)
    expect([...log].sort()).toEqual(
      ["destroyed", "disconnected", "error SESSION_CLOSED", "subscriberDisconnected"].sort(),
    );
    expect(log.slice(-2)).toEqual(["error SESSION_CLOSED", "disconnected"]);
    expect(client.isConnected()).toBe(false);
    await client.disconnect(); // resolves once what the client can await is freed
    expect(connector.participants()).toEqual([]);
    // the core closes the encoder of a participant the room ended without a promise to await
    await until(() => nativeCounts().encoders === before.encoders);
    expect(nativeCounts()).toEqual(before);
  });
});

describe("VonageVideoClient: errors are typed and name the field", () => {
  const fieldOf = async (p: Promise<unknown>) =>
    p.then(
      () => "accepted",
      (e: unknown) => (e instanceof InvalidSettingError ? e.field : String(e)),
    );

  it("connect: bad settings and ids reject naming the field, and onError gets the same error", async () => {
    const { client, token } = await setup();
    const errors: string[] = [];
    const onError = (_: unknown, __: string, code: string) => errors.push(code);
    expect(
      await fieldOf(
        client.connect(
          APP,
          "r",
          await token(),
          { av: { audioPublisher: { sampleRate: 22050, numberOfChannels: 1 } } },
          { onError },
        ),
      ),
    ).toBe("sessionSettings.av.audioPublisher.sampleRate");
    expect(
      await fieldOf(
        client.connect(APP, "r", await token(), {
          av: {
            videoPublisher: {
              resolution: { width: 1920, height: 1088 },
              fps: 30,
              format: "YUV420P",
            },
          },
        }),
      ),
    ).toBe("sessionSettings.av.videoPublisher.resolution");
    expect(await fieldOf(client.connect("", "r", await token()))).toBe("applicationId");
    expect(await fieldOf(client.connect(APP, "", await token()))).toBe("sessionId");
    expect(errors).toEqual(["BAD_OPTION"]);
    expect(client.isConnected()).toBe(false);
  });

  it("tokens: another application, another room, garbage; nothing is left behind", async () => {
    const { kit, connector, client, token } = await setup();
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e as { code?: string }).code ?? String(e),
      );
    // the client says another application than the token's
    expect(await codeOf(client.connect("app-2", "r", await token()))).toBe(
      "TOKEN_WRONG_APPLICATION",
    );
    // the token and the client agree, but the Connector serves APP
    expect(
      await codeOf(client.connect("app-2", "r", await token({ applicationId: "app-2" }))),
    ).toBe("TOKEN_WRONG_APPLICATION");
    expect(await codeOf(client.connect(APP, "r", await token({ roomId: "x" })))).toBe(
      "TOKEN_WRONG_ROOM",
    );
    expect(await codeOf(client.connect(APP, "r", "garbage"))).toBe("TOKEN_INVALID");
    expect(kit.getSessions("r").map((s) => s.id)).toEqual(["A", "B"]);
    expect(connector.backend.sessions).toBe(0);
    expect(await codeOf(client.connect(APP, "r", await token()))).toBe("ok");
    expect(await codeOf(client.connect(APP, "r", await token()))).toBe("INVALID_STATE");
    await client.disconnect();
  });

  it("grants: no canPublish, no canSubscribe: PERMISSION_DENIED, and nothing is published or subscribed", async () => {
    const { connector, client, token } = await setup();
    const streams: Stream[] = [];
    await client.connect(
      APP,
      "r",
      await token({ grants: { canPublish: false, canSubscribe: false } }),
      undefined,
      { onStreamReceived: (_, s) => streams.push(s) },
    );
    const codes: string[] = [];
    await expect(
      client.publish({ name: "Bot" }, { onError: (_, __, code) => codes.push(code) }),
    ).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(client.subscribe(streams[0]!)).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
    expect(codes).toEqual(["PERMISSION_DENIED"]);
    expect(client.isPublishing()).toBe(false);
    const bot = connector.participants()[0]!;
    expect(bot.session.tracks).toEqual({ video: false, audio: false });
    await client.disconnect();
  });

  it("publish, subscribe, addAudio, addVideo: typed errors naming the field; onError of the publisher and subscriber", async () => {
    const { client, token } = await setup();
    const streams: Stream[] = [];
    await client.connect(
      APP,
      "r",
      await token(),
      {
        av: {
          audioPublisher: { sampleRate: 16000, numberOfChannels: 1 },
          videoPublisher: { resolution: { width: 65, height: 48 }, fps: 5, format: "YUV420P" },
        },
      },
      { onStreamReceived: (_, s) => streams.push(s) },
    );
    const publisherErrors: string[] = [];
    const onError = (_: unknown, __: string, code: string) => publisherErrors.push(code);
    expect(await fieldOf(client.publish({ name: "" }, { onError }))).toBe("publisherSettings.name");
    expect(await fieldOf(client.publish({ name: "Bot", hasAudio: false, hasVideo: false }))).toBe(
      "publisherSettings",
    );
    expect(await fieldOf(client.publish({ name: "Bot" }))).toBe(
      "sessionSettings.av.videoPublisher.resolution",
    );
    expect(publisherErrors).toEqual(["BAD_OPTION"]);
    expect(() => client.addAudio(tone(440, 20, 16000, 1))).toThrow(/addAudio needs a publisher/);
    await client.publish({ name: "Bot", hasVideo: false });
    expect(() => client.addAudio(tone(440, 20, 48000, 1))).toThrow(InvalidSettingError);
    expect(() => client.addVideo(pattern(64, 48))).toThrow(/addVideo needs a publisher/);
    await expect(client.publish({ name: "Again" })).rejects.toMatchObject({
      code: "INVALID_STATE",
    });
    const subscriberErrors: string[] = [];
    expect(
      await fieldOf(
        client.subscribe(
          streams[0]!,
          { videoSettings: { format: "NV12" as "YUV420P" } },
          { onError: (_, __, code) => subscriberErrors.push(code) },
        ),
      ),
    ).toBe("subscriberSettings.videoSettings.format");
    expect(
      await fieldOf(
        client.subscribe(streams[0]!, { subscribeToAudio: false, subscribeToVideo: false }),
      ),
    ).toBe("subscriberSettings");
    expect(subscriberErrors).toEqual(["BAD_OPTION"]);
    await client.subscribe(streams[0]!);
    await expect(client.subscribe(streams[0]!)).rejects.toMatchObject({ code: "INVALID_STATE" });
    await client.disconnect();
    await expect(client.unpublish()).rejects.toMatchObject({ code: "INVALID_STATE" });
  });
});
