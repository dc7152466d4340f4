import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect } from "vitest";
import { fixture } from "./fixtures.js";
import { g711Decode, g711Encode } from "./g711.js";
import { itWithPeers, runCleanups, tempDir } from "./peers.js";
import { decodeRtpAudioFromPcap } from "./rtp-audio.js";
import { dominantFrequency, sineTone, toneLevels } from "./tone.js";

afterEach(runCleanups);

const withTshark = itWithPeers(["tshark"]);

/** A UDP datagram to put in a pcap: ports and RTP header fields, and the payload. */
interface Datagram {
  readonly srcPort?: number;
  readonly dstPort: number;
  readonly pt: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

/** rtpPcap writes a classic pcap (Ethernet, IPv4 127.0.0.1 → 127.0.0.1, UDP, RTP) of `datagrams`. */
function rtpPcap(path: string, datagrams: readonly Datagram[]): void {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(header);
  datagrams.forEach((d, i) => {
    const rtp = Buffer.alloc(12 + d.payload.length);
    rtp[0] = 0x80;
    rtp[1] = d.pt & 0x7f;
    rtp.writeUInt16BE(d.seq & 0xffff, 2);
    rtp.writeUInt32BE(d.timestamp >>> 0, 4);
    rtp.writeUInt32BE(d.ssrc >>> 0, 8);
    rtp.set(d.payload, 12);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(d.srcPort ?? 40000, 0);
    udp.writeUInt16BE(d.dstPort, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1, 127, 0, 0, 1], 12);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + Math.floor(i / 50), 0);
    rec.writeUInt32LE((i % 50) * 20_000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  writeFileSync(path, Buffer.concat(parts));
}

/** packetsOf cuts `code` words into 20 ms (160-sample) packets from `seq`/`timestamp`. */
function packetsOf(
  code: Uint8Array,
  base: Omit<Datagram, "payload" | "seq" | "timestamp">,
  seq: number,
  timestamp: number,
): Datagram[] {
  const out: Datagram[] = [];
  for (let i = 0; i * 160 < code.length; i++) {
    out.push({
      ...base,
      seq: (seq + i) & 0xffff,
      timestamp: (timestamp + i * 160) >>> 0,
      payload: code.subarray(i * 160, (i + 1) * 160),
    });
  }
  return out;
}

describe("decodeRtpAudioFromPcap (tshark)", () => {
  withTshark("reads the fixture's 10 s PCMU tone: 500 packets, 440 Hz", async () => {
    const audio = await decodeRtpAudioFromPcap(fixture("pcmu-tone.pcap"), {
      dstPort: 5006,
      codec: "pcmu",
    });
    expect(audio).toMatchObject({
      sampleRate: 8000,
      packets: 500,
      ssrc: 0x11223344,
      ssrcs: 1,
      seqGaps: 0,
      duplicates: 0,
      gapSamples: 0,
    });
    expect(audio.samples).toHaveLength(80_000);
    // the payloads are the bytes of pcmu-tone.ulaw, the same tone made without RTP
    expect(audio.samples).toEqual(g711Decode("pcmu", readFileSync(fixture("pcmu-tone.ulaw"))));
    expect(Math.abs(dominantFrequency(audio.samples, 8000) - 440)).toBeLessThan(0.5);
    const [at440, at880] = toneLevels(audio.samples, 8000, [440, 880]);
    expect(at440! - at880!).toBeGreaterThan(30);
    // found without a port too (tshark's RTP heuristic); another payload type finds nothing
    const found = await decodeRtpAudioFromPcap(fixture("pcmu-tone.pcap"), { codec: "pcmu" });
    expect(found.packets).toBe(500);
    const none = await decodeRtpAudioFromPcap(fixture("pcmu-tone.pcap"), { codec: "pcma" });
    expect(none).toMatchObject({ packets: 0, ssrc: undefined, ssrcs: 0 });
    expect(none.samples).toHaveLength(0);
  });

  withTshark(
    "PCMA with loss, reordering, a duplicate, a timestamp wrap and other streams",
    async () => {
      const dir = tempDir("rtp-audio-");
      const pcap = join(dir, "mixed.pcap");
      const tone = g711Encode("pcma", sineTone(1000, 8000, 8000)); // 1 s, 50 packets
      const main = packetsOf(
        tone,
        { dstPort: 5010, pt: 8, ssrc: 0xabcdef01 },
        65530,
        2 ** 32 - 800,
      );
      const lost = main.splice(20, 1); // seq 65530+20 never arrives
      [main[30], main[31]] = [main[31]!, main[30]!]; // late
      main.splice(40, 0, main[39]!); // a duplicate
      const other = packetsOf(
        g711Encode("pcma", sineTone(440, 8000, 1600)),
        { dstPort: 5010, pt: 8, ssrc: 0x55 },
        7,
        1000,
      );
      const elsewhere = packetsOf(
        g711Encode("pcma", sineTone(300, 8000, 8000)),
        { dstPort: 5012, srcPort: 41000, pt: 8, ssrc: 0x66 },
        0,
        0,
      );
      const dtmf = { dstPort: 5010, pt: 101, seq: 1, timestamp: 0, ssrc: 0xabcdef01 };
      rtpPcap(pcap, [
        ...other.slice(0, 5),
        ...main.slice(0, 25),
        { ...dtmf, payload: Uint8Array.of(1, 0x8a, 0, 160) },
        ...elsewhere,
        ...main.slice(25),
        ...other.slice(5),
      ]);
      const audio = await decodeRtpAudioFromPcap(pcap, { dstPort: 5010, codec: "pcma" });
      expect(audio).toMatchObject({
        codec: "pcma",
        packets: 50, // 49 sent once, one twice
        ssrc: 0xabcdef01,
        ssrcs: 2,
        seqGaps: 1,
        duplicates: 1,
        gapSamples: 160,
      });
      expect(audio.samples).toHaveLength(8000);
      // the lost packet's 20 ms are silence in place; the rest is the tone, not shifted
      const expected = g711Decode("pcma", tone);
      expected.fill(0, 20 * 160, 21 * 160);
      expect(audio.samples).toEqual(expected);
      expect(lost[0]!.seq).toBe((65530 + 20) & 0xffff);
      expect(Math.abs(dominantFrequency(audio.samples, 8000) - 1000)).toBeLessThan(1);
      // the other SSRC on the same port, when asked for
      const second = await decodeRtpAudioFromPcap(pcap, {
        dstPort: 5010,
        codec: "pcma",
        ssrc: 0x55,
      });
      expect([second.packets, second.samples.length]).toEqual([10, 1600]);
      expect(Math.abs(dominantFrequency(second.samples, 8000) - 440)).toBeLessThan(3);
      // the stream to 5012 only, by destination, or by source port
      const third = await decodeRtpAudioFromPcap(pcap, { dstPort: 5012, codec: "pcma" });
      expect([third.ssrc, third.packets]).toEqual([0x66, 50]);
      const bySource = await decodeRtpAudioFromPcap(pcap, { srcPort: 41000, codec: "pcma" });
      expect([bySource.ssrc, bySource.ssrcs, bySource.packets]).toEqual([0x66, 1, 50]);
    },
  );

  withTshark(
    "fails typed: a timestamp jump over maxSeconds, a missing pcap, bad options",
    async () => {
      const dir = tempDir("rtp-audio-");
      const pcap = join(dir, "jump.pcap");
      const code = g711Encode("pcmu", sineTone(500, 8000, 320));
      const base = { dstPort: 5020, pt: 0, ssrc: 9 };
      rtpPcap(pcap, [...packetsOf(code, base, 1, 0), ...packetsOf(code, base, 3, 8000 * 100)]);
      await expect(
        decodeRtpAudioFromPcap(pcap, { dstPort: 5020, codec: "pcmu", maxSeconds: 60 }),
      ).rejects.toThrow(/DECODE_FAILED: the RTP timestamps of SSRC 9 span 100.04 s/);
      const wide = await decodeRtpAudioFromPcap(pcap, { dstPort: 5020, codec: "pcmu" });
      expect([wide.samples.length, wide.gapSamples]).toEqual([800_320, 800_000 - 320]);
      await expect(
        decodeRtpAudioFromPcap(join(dir, "none.pcap"), { dstPort: 5020, codec: "pcmu" }),
      ).rejects.toThrow(/DECODE_FAILED: tshark/);
      await expect(decodeRtpAudioFromPcap(pcap, { dstPort: 70000, codec: "pcmu" })).rejects.toThrow(
        /BAD_OPTION/,
      );
      await expect(decodeRtpAudioFromPcap(pcap, { codec: "opus" as "pcmu" })).rejects.toThrow(
        /BAD_OPTION/,
      );
    },
  );
});
