import { describe, expect, it } from "vitest";
import { InvalidSettingError } from "../errors.js";
import {
  checkAudioData,
  checkPublisherSettings,
  checkSessionSettings,
  checkSubscriberSettings,
  checkVideoFrame,
  videoFrameBytes,
} from "./settings.js";

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidSettingError);
    expect((e as InvalidSettingError).code).toBe("BAD_OPTION");
    return (e as InvalidSettingError).field;
  }
  return "accepted";
}

const video = { resolution: { width: 1280, height: 720 }, fps: 30, format: "YUV420P" };
const audio = { sampleRate: 48000, numberOfChannels: 2 };

describe("Vonage-style settings, checked as the seed says, errors naming the field", () => {
  it.each([
    [
      "all fields",
      {
        enableMigration: false,
        av: { audioPublisher: audio, audioSubscribersMix: audio, videoPublisher: video },
        logging: { level: "INFO" },
      },
      "accepted",
    ],
    ["nothing", undefined, "accepted"],
    [
      "a rate not in the list",
      { av: { audioPublisher: { sampleRate: 22050, numberOfChannels: 1 } } },
      "sessionSettings.av.audioPublisher.sampleRate",
    ],
    [
      "three channels",
      { av: { audioSubscribersMix: { sampleRate: 8000, numberOfChannels: 3 } } },
      "sessionSettings.av.audioSubscribersMix.numberOfChannels",
    ],
    [
      "0 fps",
      { av: { videoPublisher: { ...video, fps: 0 } } },
      "sessionSettings.av.videoPublisher.fps",
    ],
    [
      "31 fps",
      { av: { videoPublisher: { ...video, fps: 31 } } },
      "sessionSettings.av.videoPublisher.fps",
    ],
    [
      "over 1920x1080",
      { av: { videoPublisher: { ...video, resolution: { width: 1921, height: 1080 } } } },
      "sessionSettings.av.videoPublisher.resolution",
    ],
    [
      "1080x1920 is fine (pixels count)",
      { av: { videoPublisher: { ...video, resolution: { width: 1080, height: 1920 } } } },
      "accepted",
    ],
    [
      "NV12",
      { av: { videoPublisher: { ...video, format: "NV12" } } },
      "sessionSettings.av.videoPublisher.format",
    ],
    ["a bad log level", { logging: { level: "LOUD" } }, "sessionSettings.logging.level"],
    ["not an object", 42, "sessionSettings"],
  ])("session settings: %s", (_, settings, field) => {
    expect(fieldOf(() => checkSessionSettings(settings))).toBe(field);
  });

  it.each([
    ["audio and video", { name: "Bot", hasAudio: true, hasVideo: true }, "accepted"],
    ["an empty name", { name: "", hasAudio: true }, "publisherSettings.name"],
    ["no name", { hasAudio: true }, "publisherSettings.name"],
    [
      "neither audio nor video",
      { name: "Bot", hasAudio: false, hasVideo: false },
      "publisherSettings",
    ],
    [
      "a non-boolean DTX",
      { name: "Bot", audioSettings: { enableOpusDtx: "yes" } },
      "publisherSettings.audioSettings.enableOpusDtx",
    ],
  ])("publisher settings: %s", (_, settings, field) => {
    expect(fieldOf(() => checkPublisherSettings(settings))).toBe(field);
  });

  it.each([
    ["defaults", undefined, "accepted"],
    [
      "preferences",
      {
        videoSettings: { preferredResolution: { width: 640, height: 480 }, preferredFramerate: 15 },
      },
      "accepted",
    ],
    ["neither", { subscribeToAudio: false, subscribeToVideo: false }, "subscriberSettings"],
    [
      "a framerate of 60",
      { videoSettings: { preferredFramerate: 60 } },
      "subscriberSettings.videoSettings.preferredFramerate",
    ],
    ["a format of its own (ours)", { videoSettings: { format: "ARGB32" } }, "accepted"],
    [
      "an unknown format",
      { videoSettings: { format: "BGR24" } },
      "subscriberSettings.videoSettings.format",
    ],
  ])("subscriber settings: %s", (_, settings, field) => {
    expect(fieldOf(() => checkSubscriberSettings(settings))).toBe(field);
  });

  it("audio data: Int16 samples, frames × channels, and the publisher's format", () => {
    const ok = {
      sampleBuffer: new Int16Array(960 * 2),
      sampleRate: 48000,
      numberOfChannels: 2,
      numberOfFrames: 960,
    };
    expect(fieldOf(() => checkAudioData(ok, audio))).toBe("accepted");
    expect(fieldOf(() => checkAudioData({ ...ok, sampleBuffer: new Int16Array(960) }))).toBe(
      "audioData.sampleBuffer",
    );
    expect(fieldOf(() => checkAudioData({ ...ok, sampleBuffer: new Uint8Array(3840) }))).toBe(
      "audioData.sampleBuffer",
    );
    expect(fieldOf(() => checkAudioData({ ...ok, sampleRate: 11025 }))).toBe(
      "audioData.sampleRate",
    );
    expect(fieldOf(() => checkAudioData(ok, { sampleRate: 16000, numberOfChannels: 2 }))).toBe(
      "audioData",
    );
  });

  it("video frames: the exact size of their format, odd sizes rounding I420 chroma up", () => {
    expect(videoFrameBytes("YUV420P", 641, 361)).toBe(641 * 361 + 2 * 321 * 181);
    expect(videoFrameBytes("RGB24", 3, 3)).toBe(27);
    expect(videoFrameBytes("ARGB32", 3, 3)).toBe(36);
    const frame = (format: string, w: number, h: number, bytes: number) => ({
      frameBuffer: new Uint8Array(bytes),
      resolution: { width: w, height: h },
      format,
    });
    expect(
      fieldOf(() =>
        checkVideoFrame(frame("YUV420P", 641, 361, videoFrameBytes("YUV420P", 641, 361))),
      ),
    ).toBe("accepted");
    expect(fieldOf(() => checkVideoFrame(frame("RGB24", 640, 360, 640 * 360 * 3 - 1)))).toBe(
      "videoFrame.frameBuffer",
    );
    expect(fieldOf(() => checkVideoFrame(frame("ARGB32", 0, 360, 0)))).toBe(
      "videoFrame.resolution.width",
    );
    expect(fieldOf(() => checkVideoFrame(frame("I420", 2, 2, 6)))).toBe("videoFrame.format");
    expect(
      fieldOf(() => checkVideoFrame({ ...frame("RGB24", 2, 2, 12), frameBuffer: [1, 2] })),
    ).toBe("videoFrame.frameBuffer");
  });
});
