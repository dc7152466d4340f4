/**
 * A SIP peer on a bare UDP socket for hand-written requests (INVITE/ACK/BYE/CANCEL), the parser
 * of what it receives, and hand-written SDP offers.
 */
import { createSocket, type Socket } from "node:dgram";
import { HOST, onCleanup } from "@framewire/test-support/peers";

/** SipMessage is a received SIP message, parsed just enough for these tests. */
export interface SipMessage {
  readonly raw: string;
  readonly startLine: string;
  /** status is the response code, undefined for a request. */
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
  /** header returns the first value of a header (case-insensitive, compact forms folded). */
  header(name: string): string | undefined;
}

const COMPACT: Record<string, string> = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  m: "contact",
  l: "content-length",
  c: "content-type",
};

/** parseSipText parses a SIP message (start line, headers, body). */
export function parseSipText(raw: string): SipMessage {
  const end = raw.indexOf("\r\n\r\n");
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? "" : raw.slice(end + 4);
  const lines = head.split("\r\n");
  const startLine = lines[0] ?? "";
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  return {
    raw,
    startLine,
    status: status === null ? undefined : Number(status[1]),
    method: status === null ? startLine.split(" ")[0] : undefined,
    headers,
    body,
    header: (name) => headers.get(name.toLowerCase())?.[0],
  };
}

/** tagOf returns the tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;\s>]+)/i.exec(value ?? "")?.[1];
}

/** uriOf returns the URI inside <...> of a name-addr (or the value up to ';'). */
export function uriOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const inner = /<([^>]+)>/.exec(value);
  return inner !== null ? inner[1] : value.split(";")[0]?.trim();
}

let counter = 0;
/** token returns a fresh random token (Call-IDs, tags, branches). */
export function token(prefix = ""): string {
  counter++;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** RawInviteOptions are the parts of a hand-written INVITE. */
export interface RawInviteOptions {
  readonly callId?: string;
  readonly fromTag?: string;
  readonly branch?: string;
  readonly cseq?: number;
  readonly user?: string;
  readonly sdp: string;
}

/** Dialog is what a raw peer knows of one INVITE it sent. */
export interface RawDialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
  readonly cseq: number;
  readonly requestUri: string;
  /** final is the final response, once received. */
  final: SipMessage | undefined;
  readonly responses: SipMessage[];
}

/**
 * RawSipPeer is a SIP endpoint on a bare UDP socket: it writes INVITE/ACK/BYE/CANCEL by hand
 * (RFC 3261 §8.1.1), collects every message it receives, answers in-dialog BYEs with 200, and
 * ACKs non-2xx final responses to its INVITEs (§17.1.1.3) so the far end stops retransmitting.
 */
export class RawSipPeer {
  readonly received: SipMessage[] = [];
  private readonly socket: Socket;
  private readonly target: { host: string; port: number };
  private readonly dialogs = new Map<string, RawDialog>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(socket: Socket, target: { host: string; port: number }) {
    this.socket = socket;
    this.target = target;
    socket.on("message", (data) => this.receive(parseSipText(data.toString("latin1"))));
  }

  /** open binds a peer on 127.0.0.1 (any port) talking to 127.0.0.1:targetPort; closed at cleanup. */
  static async open(targetPort: number): Promise<RawSipPeer> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: HOST, port: 0 }, () => resolve());
    });
    socket.on("error", () => {});
    const peer = new RawSipPeer(socket, { host: HOST, port: targetPort });
    onCleanup(() => peer.close());
    return peer;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** send writes one datagram to the target. */
  send(text: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.socket.send(text, this.target.port, this.target.host, () => resolve());
    });
  }

  /** invite sends an INVITE with `sdp` and returns its dialog record. */
  async invite(o: RawInviteOptions): Promise<RawDialog> {
    const d: RawDialog = {
      callId: o.callId ?? token("raw-"),
      fromTag: o.fromTag ?? token("ft"),
      branch: o.branch ?? `z9hG4bK${token()}`,
      cseq: o.cseq ?? 1,
      requestUri: `sip:${o.user ?? "room"}@${this.target.host}:${this.target.port}`,
      final: undefined,
      responses: [],
    };
    this.dialogs.set(d.branch, d);
    await this.send(
      [
        `INVITE ${d.requestUri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: <${d.requestUri}>`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${d.cseq} INVITE`,
        `Contact: <sip:raw@${HOST}:${this.port}>`,
        "Content-Type: application/sdp",
        `Content-Length: ${Buffer.byteLength(o.sdp, "latin1")}`,
        "",
        o.sdp,
      ].join("\r\n"),
    );
    return d;
  }

  /**
   * reinvite sends a re-INVITE with `sdp` in `d`'s established dialog (RFC 3261 §14.1; CSeq one
   * above `d`'s) and returns its own record: wait on it with finalResponse, a non-2xx is ACKed,
   * and later in-dialog requests (bye) go on it.
   */
  async reinvite(d: RawDialog, sdp: string): Promise<RawDialog> {
    const ok = d.final;
    if (ok === undefined) throw new Error("re-INVITE before a final response");
    const target = uriOf(ok.header("contact")) ?? d.requestUri;
    const re: RawDialog = {
      callId: d.callId,
      fromTag: d.fromTag,
      branch: `z9hG4bK${token()}`,
      cseq: d.cseq + 1,
      requestUri: target,
      final: undefined,
      responses: [],
    };
    this.dialogs.set(re.branch, re);
    await this.send(
      [
        `INVITE ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${re.branch};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: ${ok.header("to") ?? `<${d.requestUri}>`}`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${re.cseq} INVITE`,
        `Contact: <sip:raw@${HOST}:${this.port}>`,
        "Content-Type: application/sdp",
        `Content-Length: ${Buffer.byteLength(sdp, "latin1")}`,
        "",
        sdp,
      ].join("\r\n"),
    );
    return re;
  }

  /** final waits for the final response of `d`'s INVITE. */
  async finalResponse(d: RawDialog, timeoutMs = 10_000): Promise<SipMessage> {
    const ok = await this.waitFor(() => d.final !== undefined, timeoutMs);
    if (!ok || d.final === undefined) {
      throw new Error(
        `no final response to INVITE ${d.callId} in ${timeoutMs} ms; got: ${d.responses.map((r) => r.startLine).join(" | ")}`,
      );
    }
    return d.final;
  }

  /** ack sends the ACK of a 2xx (a new transaction to the Contact, §13.2.2.4). */
  ack(d: RawDialog): Promise<void> {
    return this.inDialog("ACK", d, d.cseq);
  }

  /** bye sends BYE in `d`'s dialog and waits for its final response. */
  async bye(d: RawDialog, timeoutMs = 5_000): Promise<SipMessage> {
    const branch = `z9hG4bK${token()}`;
    await this.inDialog("BYE", d, d.cseq + 1, branch);
    let answer: SipMessage | undefined;
    await this.waitFor(() => {
      answer = this.received.find(
        (m) =>
          m.status !== undefined && m.status >= 200 && (m.header("via") ?? "").includes(branch),
      );
      return answer !== undefined;
    }, timeoutMs);
    if (answer === undefined) throw new Error(`no answer to BYE ${d.callId}`);
    return answer;
  }

  /** cancel sends CANCEL for `d`'s INVITE (same branch, §9.1). */
  cancel(d: RawDialog): Promise<void> {
    return this.send(
      [
        `CANCEL ${d.requestUri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: <${d.requestUri}>`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${d.cseq} CANCEL`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    );
  }

  /** waitFor resolves true once `check` holds after a received message (or now), false on timeout. */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private async inDialog(method: "ACK" | "BYE", d: RawDialog, cseq: number, branch?: string) {
    const ok = d.final;
    if (ok === undefined) throw new Error(`${method} before a final response`);
    const to = ok.header("to") ?? `<${d.requestUri}>`;
    const target = uriOf(ok.header("contact")) ?? d.requestUri;
    await this.send(
      [
        `${method} ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${branch ?? `z9hG4bK${token()}`};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: ${to}`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${cseq} ${method}`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    );
  }

  private receive(m: SipMessage): void {
    this.received.push(m);
    if (m.status !== undefined) {
      const branch = /branch=([^;\s,]+)/.exec(m.header("via") ?? "")?.[1];
      const d = branch === undefined ? undefined : this.dialogs.get(branch);
      if (d !== undefined && /INVITE/i.test(m.header("cseq") ?? "")) {
        d.responses.push(m);
        if (m.status >= 200 && d.final === undefined) d.final = m;
        if (m.status >= 300) {
          // ACK for a non-2xx final response: same branch, To with the tag (§17.1.1.3)
          void this.send(
            [
              `ACK ${d.requestUri} SIP/2.0`,
              `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
              "Max-Forwards: 70",
              `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
              `To: ${m.header("to") ?? ""}`,
              `Call-ID: ${d.callId}`,
              `CSeq: ${d.cseq} ACK`,
              "Content-Length: 0",
              "",
              "",
            ].join("\r\n"),
          );
        }
      }
    } else if (m.method === "BYE") {
      void this.send(responseTo(m, 200, "OK"));
    }
    for (const w of [...this.waiters]) w();
  }
}

/** responseTo writes a minimal response to a request (Via, From, To, Call-ID, CSeq echoed). */
export function responseTo(req: SipMessage, status: number, reason: string): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get("via") ?? []) lines.push(`Via: ${v}`);
  lines.push(
    `From: ${req.header("from") ?? ""}`,
    `To: ${req.header("to") ?? ""}`,
    `Call-ID: ${req.header("call-id") ?? ""}`,
    `CSeq: ${req.header("cseq") ?? ""}`,
    "Content-Length: 0",
    "",
    "",
  );
  return lines.join("\r\n");
}

/** SdpParts lists the m-sections of a hand-written offer. */
export interface OfferSpec {
  readonly audioPort: number;
  /** audio formats: rtpmap lines keyed by payload type; default PCMU. */
  readonly audio?: ReadonlyArray<readonly [number, string]>;
  readonly videoPort?: number;
  /** video formats: [pt, rtpmap, fmtp?]; default H.264 mode 1 42e01f. */
  readonly video?: ReadonlyArray<readonly [number, string, string?]>;
}

/** offerSdp writes an SDP offer by hand (RFC 4566) from `spec`. */
export function offerSdp(spec: OfferSpec): string {
  const audio = spec.audio ?? [[0, "PCMU/8000"]];
  const lines = [
    "v=0",
    `o=raw 1 1 IN IP4 ${HOST}`,
    "s=raw",
    `c=IN IP4 ${HOST}`,
    "t=0 0",
    `m=audio ${spec.audioPort} RTP/AVP ${audio.map(([pt]) => pt).join(" ")}`,
    ...audio.map(([pt, map]) => `a=rtpmap:${pt} ${map}`),
    "a=sendrecv",
  ];
  if (spec.videoPort !== undefined) {
    const video = spec.video ?? [
      [96, "H264/90000", "packetization-mode=1;profile-level-id=42e01f"],
    ];
    lines.push(`m=video ${spec.videoPort} RTP/AVP ${video.map(([pt]) => pt).join(" ")}`);
    for (const [pt, map, fmtp] of video) {
      lines.push(`a=rtpmap:${pt} ${map}`);
      if (fmtp !== undefined) lines.push(`a=fmtp:${pt} ${fmtp}`);
    }
    lines.push("a=sendrecv");
  }
  return `${lines.join("\r\n")}\r\n`;
}
