/** MediaSection is one m-line we write and its attribute values (without the `a=`). */
export interface MediaSection {
  readonly media: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly (string | number)[];
  readonly attributes: readonly string[];
}

/** SessionSection is the session level we write: origin, name and one session-level `c=`. */
export interface SessionSection {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly addressType: "IP4" | "IP6";
  readonly address: string;
  readonly sessionName: string;
}

/**
 * writeSessionDescription writes SDP in RFC 4566 §5 order (v, o, s, c, t, then per m-line
 * m and a), every line ended by CRLF. The connection is session-level: it covers every m-line.
 */
export function writeSessionDescription(
  session: SessionSection,
  media: readonly MediaSection[],
): string {
  const lines = [
    "v=0",
    `o=${session.username} ${session.sessionId} ${session.sessionVersion} IN ${session.addressType} ${session.address}`,
    `s=${session.sessionName}`,
    `c=IN ${session.addressType} ${session.address}`,
    "t=0 0",
  ];
  for (const m of media) {
    lines.push(`m=${m.media} ${m.port} ${m.proto} ${m.formats.join(" ")}`);
    for (const attribute of m.attributes) lines.push(`a=${attribute}`);
  }
  return `${lines.join("\r\n")}\r\n`;
}
