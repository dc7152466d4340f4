/** IpLiteral is a classified IP address literal. */
export interface IpLiteral {
  readonly addressType: "IP4" | "IP6";
  /** unspecified is true for 0.0.0.0 and :: (all zero). */
  readonly unspecified: boolean;
  /** multicast is true for 224.0.0.0/4 and ff00::/8. */
  readonly multicast: boolean;
}

const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** isIpv4 accepts dotted-quad IPv4 (RFC 4566 §9 IP4-address): four 0..255, no leading zeros. */
export function isIpv4(text: string): boolean {
  if (text.length < 7 || text.length > 15) return false;
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!IPV4_OCTET.test(p) || Number(p) > 255) return false;
  }
  return true;
}

/** isIpv6 accepts RFC 4291 §2.2 text forms (with `::` and a trailing IPv4), no zone index. */
export function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let head = text;
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) return false;
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIpv4(tail)) return false;
    // The embedded IPv4 address stands for the last two 16-bit groups.
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const gap = head.indexOf("::");
  if (gap !== head.lastIndexOf("::")) return false;
  if (gap < 0) {
    const groups = head.split(":");
    return groups.length === 8 && groups.every((g) => IPV6_GROUP.test(g));
  }
  const left = head.slice(0, gap);
  const right = head.slice(gap + 2);
  const groups = [
    ...(left === "" ? [] : left.split(":")),
    ...(right === "" ? [] : right.split(":")),
  ];
  return groups.length <= 7 && groups.every((g) => IPV6_GROUP.test(g));
}

/** classifyIp returns the kind of an IP literal, or undefined when `text` is not one. */
export function classifyIp(text: string): IpLiteral | undefined {
  if (isIpv4(text)) {
    const first = Number(text.slice(0, text.indexOf(".")));
    return {
      addressType: "IP4",
      unspecified: text === "0.0.0.0",
      multicast: first >= 224 && first <= 239,
    };
  }
  if (isIpv6(text)) {
    const firstGroup = text.startsWith("::") ? "0" : (text.split(":")[0] ?? "0");
    const digits = text.includes(".") ? "1" : text.replace(/:/g, "");
    return {
      addressType: "IP6",
      unspecified: /^0*$/.test(digits),
      multicast: Number.parseInt(firstGroup, 16) >= 0xff00,
    };
  }
  return undefined;
}
