/**
 * Minimal reader for classic libpcap files (not pcapng), used by the tests to
 * pull the UDP payloads (RTP packets) out of capture fixtures.
 *
 * Supported: both byte orders, microsecond (0xa1b2c3d4) and nanosecond
 * (0xa1b23c4d) magics; link types NULL/loopback (0), Ethernet (1, with 802.1Q /
 * 802.1ad tags), raw IP (101, 228), OpenBSD loopback (108), Linux cooked SLL
 * (113) and SLL2 (276). Only IPv4 UDP datagrams are returned; everything else
 * (IPv6, ARP, TCP, non-first IP fragments...) is skipped.
 *
 * Every read is bounds-checked: a truncated file or a malformed header throws
 * an Error naming the record and byte offset.
 */
import { readFileSync } from "node:fs";

export interface PcapUdpDatagram {
  /** Capture time in microseconds since the Unix epoch (nanosecond files are floored). */
  timestampUs: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload (a view into the input bytes, not a copy). */
  payload: Uint8Array;
}

export interface ReadPcapOptions {
  /**
   * What to do with a packet whose IPv4/UDP datagram was cut by the capture's
   * snap length (record captured length < datagram length): "throw" (default)
   * or "skip".
   */
  onSnapTruncated?: "throw" | "skip";
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** Upper bound on a single record (libpcap itself caps snaplen at 256 KiB; be lenient). */
const MAX_RECORD_LEN = 16 * 1024 * 1024;

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LOOP = 108;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const AF_INET = 2;
const IPPROTO_UDP = 17;

class PcapFormatError extends Error {
  override name = "PcapFormatError";
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/**
 * Parses a classic pcap file and returns every IPv4 UDP datagram in file order.
 * @throws Error on a bad magic, an unsupported link type, a truncated file or a
 *   malformed IPv4/UDP header.
 */
export function readPcapUdp(bytes: Uint8Array, options: ReadPcapOptions = {}): PcapUdpDatagram[] {
  const onSnapTruncated = options.onSnapTruncated ?? "throw";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  if (bytes.byteLength < GLOBAL_HEADER_LEN) {
    throw new PcapFormatError(
      `pcap: truncated global header (${bytes.byteLength} bytes, need ${GLOBAL_HEADER_LEN})`,
    );
  }
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) {
    littleEndian = true;
    nanoseconds = magicLe === MAGIC_NS;
  } else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) {
    littleEndian = false;
    nanoseconds = magicBe === MAGIC_NS;
  } else if (magicBe === MAGIC_PCAPNG) {
    throw new PcapFormatError("pcap: this is a pcapng file; only classic libpcap is supported");
  } else {
    throw new PcapFormatError(`pcap: bad magic number ${hex(magicBe)} (not a libpcap file)`);
  }

  const versionMajor = view.getUint16(4, littleEndian);
  if (versionMajor !== 2) {
    throw new PcapFormatError(`pcap: unsupported version ${versionMajor} (expected 2)`);
  }
  // The upper 6 bits of the link-type field may carry FCS information.
  const linkType = view.getUint32(20, littleEndian) & 0x03ffffff;
  if (!isSupportedLinkType(linkType)) {
    throw new PcapFormatError(`pcap: unsupported link type ${linkType}`);
  }

  const out: PcapUdpDatagram[] = [];
  let offset = GLOBAL_HEADER_LEN;
  let index = 0;
  while (offset < bytes.byteLength) {
    if (offset + RECORD_HEADER_LEN > bytes.byteLength) {
      throw new PcapFormatError(
        `pcap: truncated record header of packet #${index} at offset ${offset} ` +
          `(${bytes.byteLength - offset} of ${RECORD_HEADER_LEN} bytes)`,
      );
    }
    const tsSec = view.getUint32(offset, littleEndian);
    const tsFrac = view.getUint32(offset + 4, littleEndian);
    const inclLen = view.getUint32(offset + 8, littleEndian);
    const origLen = view.getUint32(offset + 12, littleEndian);
    if (tsFrac >= (nanoseconds ? 1_000_000_000 : 1_000_000)) {
      throw new PcapFormatError(
        `pcap: corrupt record header of packet #${index} at offset ${offset} ` +
          `(sub-second timestamp ${tsFrac} out of range)`,
      );
    }
    if (inclLen > MAX_RECORD_LEN) {
      throw new PcapFormatError(
        `pcap: corrupt record header of packet #${index} at offset ${offset} ` +
          `(captured length ${inclLen} too large)`,
      );
    }
    const dataStart = offset + RECORD_HEADER_LEN;
    const dataEnd = dataStart + inclLen;
    if (dataEnd > bytes.byteLength) {
      throw new PcapFormatError(
        `pcap: truncated data of packet #${index} at offset ${dataStart} ` +
          `(${bytes.byteLength - dataStart} of ${inclLen} bytes)`,
      );
    }
    const timestampUs = tsSec * 1_000_000 + (nanoseconds ? Math.floor(tsFrac / 1000) : tsFrac);
    const datagram = parseFrame(view, linkType, dataStart, dataEnd, index, origLen > inclLen);
    if (datagram === "truncated") {
      if (onSnapTruncated === "throw") {
        throw new PcapFormatError(
          `pcap: UDP datagram of packet #${index} truncated by the capture snap length ` +
            `(captured ${inclLen} of ${origLen} bytes)`,
        );
      }
    } else if (datagram !== undefined) {
      out.push({
        timestampUs,
        srcPort: datagram.srcPort,
        dstPort: datagram.dstPort,
        payload: bytes.subarray(datagram.payloadStart, datagram.payloadEnd),
      });
    }
    offset = dataEnd;
    index++;
  }
  return out;
}

/** Reads a classic pcap file from disk and returns its IPv4 UDP datagrams. */
export function readPcapFile(path: string, options: ReadPcapOptions = {}): PcapUdpDatagram[] {
  const bytes: Uint8Array = readFileSync(path);
  try {
    return readPcapUdp(bytes, options);
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_RAW:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

interface UdpLocation {
  srcPort: number;
  dstPort: number;
  payloadStart: number;
  payloadEnd: number;
}

/**
 * Locates the IPv4 header inside one link-layer frame [start, end) and parses it.
 * Returns undefined for frames that are not IPv4 UDP, "truncated" when the
 * datagram was cut by the snap length.
 */
function parseFrame(
  view: DataView,
  linkType: number,
  start: number,
  end: number,
  index: number,
  snapCut: boolean,
): UdpLocation | "truncated" | undefined {
  const len = end - start;
  let ipStart: number;
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (len < 4) return snapCut ? "truncated" : undefined;
      // NULL: address family in the capturing host's byte order; LOOP: network order.
      const family =
        linkType === LINKTYPE_LOOP
          ? view.getUint32(start, false)
          : Math.min(view.getUint32(start, true), view.getUint32(start, false));
      if (family !== AF_INET) return undefined;
      ipStart = start + 4;
      break;
    }
    case LINKTYPE_ETHERNET: {
      if (len < 14) return snapCut ? "truncated" : undefined;
      let typeOffset = start + 12;
      let etherType = view.getUint16(typeOffset, false);
      // Skip up to two VLAN tags (802.1Q / 802.1ad).
      for (
        let tags = 0;
        tags < 2 && (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ);
        tags++
      ) {
        typeOffset += 4;
        if (typeOffset + 2 > end) return snapCut ? "truncated" : undefined;
        etherType = view.getUint16(typeOffset, false);
      }
      if (etherType !== ETHERTYPE_IPV4) return undefined;
      ipStart = typeOffset + 2;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      ipStart = start;
      break;
    case LINKTYPE_LINUX_SLL: {
      if (len < 16) return snapCut ? "truncated" : undefined;
      if (view.getUint16(start + 14, false) !== ETHERTYPE_IPV4) return undefined;
      ipStart = start + 16;
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (len < 20) return snapCut ? "truncated" : undefined;
      if (view.getUint16(start, false) !== ETHERTYPE_IPV4) return undefined;
      ipStart = start + 20;
      break;
    }
    default:
      return undefined;
  }
  return parseIpv4Udp(view, ipStart, end, index, snapCut);
}

function parseIpv4Udp(
  view: DataView,
  ipStart: number,
  end: number,
  index: number,
  snapCut: boolean,
): UdpLocation | "truncated" | undefined {
  const avail = end - ipStart;
  if (avail < 1) return snapCut ? "truncated" : undefined;
  const versionIhl = view.getUint8(ipStart);
  if (versionIhl >> 4 !== 4) return undefined; // IPv6 on a raw link, or not IP at all
  const malformed = (what: string): never => {
    throw new PcapFormatError(`pcap: malformed IPv4/UDP packet #${index}: ${what}`);
  };
  if (avail < 20) return snapCut ? "truncated" : malformed(`only ${avail} bytes of IPv4 header`);
  // Only UDP is validated: other protocols are skipped before any length check
  // (e.g. TCP segments captured with GSO on lo carry a zero total length).
  if (view.getUint8(ipStart + 9) !== IPPROTO_UDP) return undefined;
  const ihl = (versionIhl & 0x0f) * 4;
  if (ihl < 20) malformed(`IPv4 header length ${ihl} < 20`);
  const totalLength = view.getUint16(ipStart + 2, false);
  if (totalLength < ihl) malformed(`IPv4 total length ${totalLength} < header length ${ihl}`);
  const fragment = view.getUint16(ipStart + 6, false);
  const moreFragments = (fragment & 0x2000) !== 0;
  const fragmentOffset = fragment & 0x1fff;
  if (moreFragments || fragmentOffset !== 0) return undefined; // cannot reassemble: skip
  // Ethernet may pad short frames, so the IP total length bounds the datagram.
  const ipEnd = ipStart + totalLength;
  if (ipEnd > end) {
    return snapCut
      ? "truncated"
      : malformed(`IPv4 total length ${totalLength} exceeds the ${avail} captured bytes`);
  }
  const udpStart = ipStart + ihl;
  if (udpStart + 8 > ipEnd)
    malformed(`no room for the UDP header (IPv4 total length ${totalLength})`);
  const srcPort = view.getUint16(udpStart, false);
  const dstPort = view.getUint16(udpStart + 2, false);
  const udpLength = view.getUint16(udpStart + 4, false);
  if (udpLength < 8) malformed(`UDP length ${udpLength} < 8`);
  if (udpStart + udpLength > ipEnd) {
    malformed(`UDP length ${udpLength} exceeds the IPv4 payload (${ipEnd - udpStart} bytes)`);
  }
  return { srcPort, dstPort, payloadStart: udpStart + 8, payloadEnd: udpStart + udpLength };
}
