// What a classic pcap of loopback traffic (tshark -F pcap on lo: Ethernet frames) holds, per UDP
// destination port: RTP packets by payload type, frame ends (marker bits), the sending hosts.
import { readFile } from "node:fs/promises";

/** PortTraffic is the RTP that reached one UDP destination port. */
export interface PortTraffic {
  packets: number;
  /** markers counts packets with the marker bit (for video: frames). */
  markers: number;
  /** byPayloadType counts packets per RTP payload type. */
  readonly byPayloadType: Map<number, number>;
  /** sources counts packets per source IPv4 address. */
  readonly sources: Map<string, number>;
  /** lastAtMs is the capture time of the last packet (ms since 1970). */
  lastAtMs: number;
  /** atMs holds every packet's capture time (ms since 1970), in capture order. */
  readonly atMs: number[];
  /** markerAtMs holds the capture times of the packets with the marker bit (video: frame ends). */
  readonly markerAtMs: number[];
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** rtpByDestinationPort reads every IPv4/UDP datagram that looks like RTP v2, by destination port. */
export async function rtpByDestinationPort(file: string): Promise<Map<number, PortTraffic>> {
  const data = await readFile(file);
  const out = new Map<number, PortTraffic>();
  if (data.length < 24) return out;
  const magic = data.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (at: number) => (le ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : 14;
  let at = 24;
  while (at + 16 <= data.length) {
    const sec = u32(at);
    const frac = u32(at + 4);
    const caplen = u32(at + 8);
    const start = at + 16;
    at = start + caplen;
    if (at > data.length) break;
    const ip = start + linkHeader;
    if (ip + 20 > at || data[ip]! >> 4 !== 4 || data[ip + 9] !== 17) continue;
    const ihl = (data[ip]! & 0x0f) * 4;
    const udp = ip + ihl;
    if (udp + 8 + 12 > at) continue;
    const rtp = udp + 8;
    if (data[rtp]! >> 6 !== 2) continue;
    const dstPort = data.readUInt16BE(udp + 2);
    let t = out.get(dstPort);
    if (t === undefined) {
      t = {
        packets: 0,
        markers: 0,
        byPayloadType: new Map(),
        sources: new Map(),
        lastAtMs: 0,
        atMs: [],
        markerAtMs: [],
      };
      out.set(dstPort, t);
    }
    const pt = data[rtp + 1]! & 0x7f;
    if (pt >= 72 && pt <= 76) continue; // RTCP (SR, RR, SDES, BYE, APP) on a muxed port
    t.packets++;
    bump(t.byPayloadType, pt);
    bump(t.sources, `${data[ip + 12]}.${data[ip + 13]}.${data[ip + 14]}.${data[ip + 15]}`);
    t.lastAtMs = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    t.atMs.push(t.lastAtMs);
    if ((data[rtp + 1]! & 0x80) !== 0) {
      t.markers++;
      t.markerAtMs.push(t.lastAtMs);
    }
  }
  return out;
}
