/**
 * Real-peer check of our RTCP serialiser against Wireshark's dissector: we send compound RTCP
 * packets (SR, RR, SDES CNAME, PLI, FIR, NACK, BYE, APP, each compound starting with an SR or
 * RR as RFC 3550 §6.1 asks) over UDP on 127.0.0.1 while tshark captures on `lo`, then let tshark
 * decode the capture as RTCP and check the fields it sees, its length check, and that it reports
 * no malformed packet and no expert warning or error.
 *
 * A control datagram (an SDES without its terminating null item, what werift-rtp 0.8.9 writes)
 * checks that the same checks do flag a malformed packet.
 *
 * Skipped locally without tshark; failing in CI (itWithPeers). Everything is bounded in time.
 */
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Child,
  freeUdpPorts,
  itWithPeers,
  sleep,
  startChild,
  waitForText,
} from "@framewire/test-support/peers";
import { describe, expect } from "vitest";
import { parseRtcp } from "../src/rtcp/parse.js";
import { serializeRtcp } from "../src/rtcp/serialize.js";
import type { ReportBlock, RtcpPacket } from "../src/rtcp/types.js";

const tsharkTest = itWithPeers(["tshark"]);

const A = 0x11223344; // our SSRC
const B = 0x55667788; // a media source we report on / ask for
const C = 0x99aabbcc;
const CNAME = "framewire@127.0.0.1";

function block(ssrc: number, cumulativeLost: number): ReportBlock {
  return {
    ssrc,
    fractionLost: 12,
    cumulativeLost,
    highestSequence: 0x1_0005,
    jitter: 42,
    lastSr: 0x12345678,
    delaySinceLastSr: 65536,
  };
}

const sr: RtcpPacket = {
  type: "sr",
  ssrc: A,
  ntpTime: { sec: 0xe8abcdef, frac: 0x80000000 },
  rtpTimestamp: 123456,
  packetCount: 100,
  octetCount: 100000,
  reports: [block(B, -3)],
};
const rr: RtcpPacket = { type: "rr", ssrc: A, reports: [block(B, 5), block(C, -1)] };

interface Expectation {
  name: string;
  packets: RtcpPacket[];
  /** tshark field → exact value (occurrences joined with ","). */
  fields: Record<string, string>;
}

const EXPECTED: Expectation[] = [
  {
    name: "SR + SDES",
    packets: [sr],
    fields: {
      "rtcp.pt": "200,202",
      "rtcp.rc": "1",
      "rtcp.senderssrc": "0x11223344",
      "rtcp.ssrc.identifier": "0x55667788,0x11223344", // report block, then SDES chunk
      "rtcp.ssrc.cum_nr": "-3",
      "rtcp.ssrc.ext_high": "65541",
      "rtcp.timestamp.rtp": "123456",
      "rtcp.sender.packetcount": "100",
      "rtcp.sender.octetcount": "100000",
      "rtcp.timestamp.ntp.msw": "3903573487",
      "rtcp.timestamp.ntp.lsw": "2147483648",
      "rtcp.sdes.text": CNAME,
    },
  },
  {
    name: "RR + SDES",
    packets: [rr],
    fields: {
      "rtcp.pt": "201,202",
      "rtcp.rc": "2",
      "rtcp.senderssrc": "0x11223344",
      "rtcp.ssrc.identifier": "0x55667788,0x99aabbcc,0x11223344",
      "rtcp.ssrc.cum_nr": "5,-1",
      "rtcp.ssrc.jitter": "42,42",
      "rtcp.ssrc.lsr": "305419896,305419896",
      "rtcp.ssrc.dlsr": "65536,65536",
      "rtcp.sdes.text": CNAME,
    },
  },
  {
    name: "RR + SDES + PLI",
    packets: [rr, { type: "pli", senderSsrc: A, mediaSsrc: B }],
    fields: {
      "rtcp.pt": "201,202,206",
      "rtcp.psfb.fmt": "1",
      "rtcp.senderssrc": "0x11223344,0x11223344",
      "rtcp.mediassrc": "0x55667788",
    },
  },
  {
    name: "RR + SDES + FIR",
    packets: [
      rr,
      {
        type: "fir",
        senderSsrc: A,
        entries: [
          { ssrc: B, sequenceNumber: 7 },
          { ssrc: C, sequenceNumber: 8 },
        ],
      },
    ],
    fields: {
      "rtcp.pt": "201,202,206",
      "rtcp.psfb.fmt": "4",
      "rtcp.senderssrc": "0x11223344,0x11223344",
      "rtcp.mediassrc": "0x00000000",
      "rtcp.psfb.fir.fci.ssrc": "0x55667788,0x99aabbcc",
      "rtcp.psfb.fir.fci.csn": "7,8",
    },
  },
  {
    name: "RR + SDES + NACK",
    packets: [rr, { type: "nack", senderSsrc: A, mediaSsrc: B, lost: [65534, 65535, 0, 1, 40] }],
    fields: {
      "rtcp.pt": "201,202,205",
      "rtcp.rtpfb.fmt": "1",
      "rtcp.senderssrc": "0x11223344,0x11223344",
      "rtcp.mediassrc": "0x55667788",
      // two FCI entries: PID 65534 with 65535, 0, 1 in its BLP across the wrap, then PID 40
      "rtcp.rtpfb.nack_blp": "0x0007,0x0000",
    },
  },
  {
    name: "RR + SDES + BYE",
    packets: [rr, { type: "bye", ssrcs: [A], reason: "shutdown" }],
    fields: {
      "rtcp.pt": "201,202,203",
      "rtcp.sc": "1,1",
      "rtcp.ssrc.identifier": "0x55667788,0x99aabbcc,0x11223344,0x11223344",
      "rtcp.sdes.text": `${CNAME},shutdown`, // Wireshark reuses the SDES text field for the reason
    },
  },
  {
    name: "SR + SDES + APP",
    packets: [
      sr,
      {
        type: "app",
        subtype: 3,
        ssrc: A,
        name: "TEST",
        data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      },
    ],
    fields: {
      "rtcp.pt": "200,202,204",
      "rtcp.app.subtype": "3",
      "rtcp.app.name": "TEST",
      "rtcp.app.data": "0102030405060708",
    },
  },
];

/**
 * An RR, the SDES werift-rtp 0.8.9 writes for CNAME "ab" (no null item ends the list), a PLI:
 * the SDES item list runs on into the PLI.
 */
const CONTROL = Uint8Array.from(
  "80c90001 11223344 81ca0002 11223344 01026162 81ce0002 11223344 55667788"
    .replace(/\s+/g, "")
    .match(/../g)!
    .map((h) => Number.parseInt(h, 16)),
);

const FIELDS = [
  "frame.number",
  "rtcp.pt",
  "rtcp.rc",
  "rtcp.sc",
  "rtcp.rtpfb.fmt",
  "rtcp.psfb.fmt",
  "rtcp.senderssrc",
  "rtcp.mediassrc",
  "rtcp.ssrc.identifier",
  "rtcp.ssrc.cum_nr",
  "rtcp.ssrc.ext_high",
  "rtcp.ssrc.jitter",
  "rtcp.ssrc.lsr",
  "rtcp.ssrc.dlsr",
  "rtcp.timestamp.rtp",
  "rtcp.timestamp.ntp.msw",
  "rtcp.timestamp.ntp.lsw",
  "rtcp.sender.packetcount",
  "rtcp.sender.octetcount",
  "rtcp.sdes.text",
  "rtcp.rtpfb.nack_pid",
  "rtcp.rtpfb.nack_blp",
  "rtcp.psfb.fir.fci.ssrc",
  "rtcp.psfb.fir.fci.csn",
  "rtcp.app.subtype",
  "rtcp.app.name",
  "rtcp.app.data",
  "rtcp.length_check",
  "_ws.malformed",
  "_ws.expert.severity",
  "_ws.expert.message",
] as const;

/** Wireshark's PI_WARN severity; PI_ERROR is above it. */
const PI_WARN = 0x00600000;

function send(socket: Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(bytes, port, "127.0.0.1", (err) => (err ? reject(err) : resolve()));
  });
}

function bind(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ port, address: "127.0.0.1", exclusive: true }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  });
}

/** Runs tshark on the capture with the RTCP decode-as rule; returns one row per frame. */
async function decode(pcap: string, port: number): Promise<Record<string, string>[]> {
  const args = ["-r", pcap, "-d", `udp.port==${port},rtcp`, "-T", "fields"];
  args.push("-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n");
  for (const f of FIELDS) args.push("-e", f);
  const r = await startChild("tshark", args, { timeoutMs: 30_000 }).done;
  expect(r.timedOut, `tshark -r timed out\n${r.stderr}`).toBe(false);
  expect(r.code, `tshark -r failed\n${r.stderr}`).toBe(0);
  return r.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const values = line.split("\t");
      const row: Record<string, string> = {};
      FIELDS.forEach((f, i) => {
        row[f] = values[i] ?? "";
      });
      return row;
    });
}

describe("RTCP decoded by tshark (Wireshark)", () => {
  tsharkTest(
    "tshark sees well-formed SR, RR, SDES, PLI, FIR, NACK, BYE and APP with the right fields",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "rtcp-tshark-"));
      const pcap = join(dir, "rtcp.pcap");
      const log = join(dir, "tshark.log");
      const port = (await freeUdpPorts(2)) + 1; // the RTCP port of an RTP/RTCP pair
      const receiver = createSocket("udp4");
      const sender = createSocket("udp4");
      const received: Uint8Array[] = [];
      let capture: Child | undefined;
      try {
        await bind(receiver, port);
        receiver.on("message", (msg) => received.push(new Uint8Array(msg)));
        await bind(sender, 0);

        const datagrams = EXPECTED.map((e) => serializeRtcp(e.packets, { cname: CNAME }));
        const total = datagrams.length + 1; // + the control datagram
        // capture exactly our datagrams; -c ends tshark once they are in, -a bounds it anyway
        capture = startChild(
          "bash",
          [
            "-c",
            'exec tshark -i lo -f "udp dst port $1" -c "$2" -a duration:20 -w "$3" 2>"$4"',
            "bash",
            String(port),
            String(total),
            pcap,
            log,
          ],
          { timeoutMs: 30_000 },
        );
        const started = await waitForText(log, "Capturing on", 15_000);
        expect(started, "tshark did not start capturing on lo").toBe(true);
        await sleep(300);

        for (const d of datagrams) await send(sender, d, port);
        await send(sender, CONTROL, port);

        const result = await capture.done;
        expect(result.timedOut, "tshark capture hit its deadline").toBe(false);
        expect(result.code, `tshark capture failed: ${result.stderr}`).toBe(0);

        // the peer socket got them too, and they parse back to what we sent
        for (let i = 0; i < 50 && received.length < total; i++) await sleep(20);
        expect(received.length).toBe(total);
        EXPECTED.forEach((e, i) => {
          const parsed = parseRtcp(received[i]!);
          expect(parsed.errors, e.name).toEqual([]);
          expect(
            parsed.packets.map((p) => p.type),
            e.name,
          ).toEqual([e.packets[0]!.type, "sdes", ...e.packets.slice(1).map((p) => p.type)]);
        });

        const rows = await decode(pcap, port);
        expect(rows.length).toBe(total);
        EXPECTED.forEach((e, i) => {
          const row = rows[i]!;
          const context = `${e.name}: ${JSON.stringify(row)}`;
          expect(row["rtcp.length_check"], context).toBe("1");
          expect(row["_ws.malformed"], context).toBe("");
          const severities = (row["_ws.expert.severity"] ?? "").split(",").filter((s) => s !== "");
          expect(
            severities.filter((s) => Number(s) >= PI_WARN),
            `${context}\nexpert: ${row["_ws.expert.message"]}`,
          ).toEqual([]);
          expect(row["rtcp.sdes.text"]?.startsWith(CNAME), context).toBe(true);
          for (const [field, value] of Object.entries(e.fields)) {
            expect(row[field], `${context}\nfield ${field}`).toBe(value);
          }
        });
        const nackRow = rows[EXPECTED.findIndex((e) => e.name === "RR + SDES + NACK")]!;
        const pids = nackRow["rtcp.rtpfb.nack_pid"]!.split(",");
        expect(pids[0]).toBe("65534");
        expect(pids.at(-1)).toBe("40");

        // control: the same checks flag a malformed SDES
        const control = rows[total - 1]!;
        expect(control["rtcp.pt"]?.startsWith("201,202")).toBe(true);
        expect(control["_ws.malformed"]).not.toBe("");
      } finally {
        capture?.kill();
        await closeSocket(receiver);
        await closeSocket(sender);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
