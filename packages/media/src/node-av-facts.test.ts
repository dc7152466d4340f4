// What this package's safety rules rest on, about node-av 6.1.1 itself (see the README's
// "Safety rules"): if an upgrade changes one of these, the rules must be looked at again.

import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P } from "node-av/constants";
import { Codec, CodecContext, Frame, Packet } from "node-av/lib";
import { describe, expect, it } from "vitest";

describe("node-av 6.1.1 facts the safety rules rest on", () => {
  it("Frame.fromBuffer copies nothing: the frame points at the JS bytes (so this package never uses it on bytes it does not keep)", () => {
    const f = new Frame();
    f.alloc();
    f.width = 16;
    f.height = 16;
    f.format = AV_PIX_FMT_YUV420P;
    expect(f.getBuffer(0)).toBeGreaterThanOrEqual(0);
    const bytes = Buffer.alloc((16 * 16 * 3) / 2, 10);
    try {
      expect(f.fromBuffer(bytes)).toBeGreaterThanOrEqual(0);
      bytes[0] = 99;
      expect(f.toBuffer()[0]).toBe(99);
    } finally {
      f.free();
    }
  });

  it("the Packet.data setter copies: a packet keeps its bytes when the caller changes its own", () => {
    const p = new Packet();
    p.alloc();
    const bytes = Buffer.alloc(64, 5);
    try {
      p.data = bytes;
      bytes[0] = 99;
      expect(p.data?.[0]).toBe(5);
    } finally {
      p.free();
    }
  });

  it("with one thread, each picture is ready for a sync receive right after its access unit was sent (FFmpeg decodes in avcodec_send_packet: bench/breakdown.ts times both calls)", () => {
    const units = h264AccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))), {
      splitAnnexB,
      joinAnnexB,
    }).units;
    const codec = Codec.findDecoder(AV_CODEC_ID_H264);
    if (codec === null) throw new Error("no h264 decoder");
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.threadCount = 1;
    expect(ctx.open2Sync(codec, null)).toBe(0);
    const pkt = new Packet();
    pkt.alloc();
    const frame = new Frame();
    frame.alloc();
    try {
      for (const unit of units.slice(0, 10)) {
        pkt.data = Buffer.from(unit);
        expect(ctx.sendPacketSync(pkt)).toBe(0);
        pkt.unref();
        expect(ctx.receiveFrameSync(frame)).toBe(0); // decoded already
        expect([frame.width, frame.height]).toEqual([640, 360]);
        frame.unref();
      }
    } finally {
      ctx.freeContext();
      pkt.free();
      frame.free();
    }
  });
});
