/**
 * An in-memory UDP network for unit tests: the user agent binds a fake socket, a scripted
 * peer sends it SIP text and records (with the virtual time) every datagram it gets back.
 * Delivery is synchronous, so with fake global timers everything runs in virtual time.
 */
import type {
  DatagramSocket,
  DatagramSocketBindOptions,
  DatagramSocketFactory,
} from "../src/sip/datagram-socket.js";
import type { SipAddress } from "../src/sip/via.js";

/** Received is one datagram a peer got: the text, the virtual time, the parsed basics. */
export interface Received {
  readonly at: number;
  readonly text: string;
  readonly from: SipAddress;
  /** firstLine is the start line. */
  readonly firstLine: string;
  /** status is the status code of a response, undefined for a request. */
  readonly status: number | undefined;
  /** method is the request method, or the CSeq method of a response. */
  readonly method: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
  readonly body: string;
}

/** parseSip splits SIP text into the parts tests look at. */
export function parseSip(text: string, at = 0, from: SipAddress = { host: "", port: 0 }): Received {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 4);
  const [firstLine = "", ...lines] = head.split("\r\n");
  const fields = lines.map((line) => {
    const colon = line.indexOf(":");
    return { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() };
  });
  const statusMatch = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
  const headers = (name: string): string[] =>
    fields.filter((f) => f.name === name.toLowerCase()).map((f) => f.value);
  const cseq = headers("cseq")[0] ?? "";
  return {
    at,
    text,
    from,
    firstLine,
    status: statusMatch === null ? undefined : Number(statusMatch[1]),
    method: statusMatch === null ? (firstLine.split(" ")[0] ?? "") : (cseq.split(/\s+/)[1] ?? ""),
    header: (name) => headers(name)[0],
    headers,
    body,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FakeNetwork connects fake sockets and peers by address. */
export class FakeNetwork {
  private readonly endpoints = new Map<string, (data: Uint8Array, from: SipAddress) => void>();
  private nextPort = 40000;
  /** dropTo: datagrams to these addresses are lost (simulates loss). */
  readonly lost: Array<(text: string, to: SipAddress) => boolean> = [];

  /** socketFactory binds fake sockets on this network. */
  readonly socketFactory: DatagramSocketFactory = (options: DatagramSocketBindOptions) => {
    const port = options.port === 0 ? this.nextPort++ : options.port;
    const local = { host: options.host, port };
    const key = `${local.host}:${local.port}`;
    if (this.endpoints.has(key)) return Promise.reject(new Error(`${key} in use`));
    this.endpoints.set(key, options.onMessage);
    let closed = false;
    const socket: DatagramSocket = {
      local,
      send: (data, to) => {
        if (closed) return Promise.reject(new Error("closed"));
        this.deliver(data, local, to);
        return Promise.resolve();
      },
      close: () => {
        closed = true;
        this.endpoints.delete(key);
        return Promise.resolve();
      },
    };
    return Promise.resolve(socket);
  };

  /** attach registers a receiver at `address`. */
  attach(address: SipAddress, receive: (data: Uint8Array, from: SipAddress) => void): void {
    this.endpoints.set(`${address.host}:${address.port}`, receive);
  }

  /** deliver hands a datagram to whoever listens at `to` (dropped if nobody, or lost). */
  deliver(data: Uint8Array, from: SipAddress, to: SipAddress): void {
    const text = decoder.decode(data);
    if (this.lost.some((drop) => drop(text, to))) return;
    this.endpoints.get(`${to.host}:${to.port}`)?.(data, from);
  }

  /** get the number of bound endpoints (sockets + peers). */
  get bound(): number {
    return this.endpoints.size;
  }
}

/** FakePeer is a scripted SIP endpoint on a {@link FakeNetwork}. */
export class FakePeer {
  readonly inbox: Received[] = [];

  constructor(
    private readonly network: FakeNetwork,
    readonly address: SipAddress,
    private readonly now: () => number = () => Date.now(),
  ) {
    network.attach(address, (data, from) => {
      this.inbox.push(parseSip(decoder.decode(data), this.now(), from));
    });
  }

  /** send delivers SIP text (LF line ends become CRLF) to `to`. */
  send(text: string, to: SipAddress): void {
    this.network.deliver(encoder.encode(text), this.address, to);
  }

  /** sendRaw delivers bytes as they are. */
  sendRaw(data: Uint8Array, to: SipAddress): void {
    this.network.deliver(data, this.address, to);
  }

  /** responses returns what the peer got with `status` (and CSeq method if given). */
  responses(status: number, method?: string): Received[] {
    return this.inbox.filter(
      (m) => m.status === status && (method === undefined || m.method === method),
    );
  }

  /** requests returns the requests the peer got with `method`. */
  requests(method: string): Received[] {
    return this.inbox.filter((m) => m.status === undefined && m.method === method);
  }

  /** last returns the last datagram received. */
  last(): Received | undefined {
    return this.inbox.at(-1);
  }
}

/** A minimal audio+video SDP (PCMU + H.264), as tests need one. */
export function testSdp(host: string, audioPort: number, version = 1): string {
  return [
    "v=0",
    `o=- 1 ${version} IN IP4 ${host}`,
    "s=-",
    `c=IN IP4 ${host}`,
    "t=0 0",
    `m=audio ${audioPort} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=sendrecv",
    `m=video ${audioPort + 2} RTP/AVP 96`,
    "a=rtpmap:96 H264/90000",
    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
    "a=sendrecv",
    "",
  ].join("\r\n");
}

/** DialogScript builds the requests of one caller dialog (UAC side) as SIP text. */
export class DialogScript {
  readonly callId: string;
  readonly fromTag: string;
  toTag = "";
  cseq = 1;
  private branchSeq = 0;

  constructor(
    readonly peer: SipAddress,
    readonly target: SipAddress,
    readonly user = "demo",
    id = Math.random().toString(36).slice(2, 10),
  ) {
    this.callId = `call-${id}`;
    this.fromTag = `from-${id}`;
  }

  /** requestUri is the Request-URI used by the requests. */
  get requestUri(): string {
    return `sip:${this.user}@${this.target.host}:${this.target.port}`;
  }

  /** newBranch returns a fresh RFC 3261 branch. */
  newBranch(): string {
    this.branchSeq++;
    return `z9hG4bK-${this.callId}-${this.branchSeq}`;
  }

  /** request writes a request; `branch` defaults to a fresh one. */
  request(
    method: string,
    options: {
      branch?: string;
      cseq?: number;
      cseqMethod?: string;
      body?: string;
      extra?: string[];
      via?: string;
      withToTag?: boolean;
    } = {},
  ): string {
    const branch = options.branch ?? this.newBranch();
    const via =
      options.via ?? `SIP/2.0/UDP ${this.peer.host}:${this.peer.port};branch=${branch};rport`;
    const toTag = (options.withToTag ?? this.toTag !== "") ? `;tag=${this.toTag}` : "";
    const lines = [
      `${method} ${this.requestUri} SIP/2.0`,
      `Via: ${via}`,
      "Max-Forwards: 70",
      `From: "Peer" <sip:peer@${this.peer.host}:${this.peer.port}>;tag=${this.fromTag}`,
      `To: <${this.requestUri}>${toTag}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${options.cseq ?? this.cseq} ${options.cseqMethod ?? method}`,
      `Contact: <sip:peer@${this.peer.host}:${this.peer.port}>`,
      ...(options.extra ?? []),
    ];
    const body = options.body ?? "";
    if (body !== "") lines.push("Content-Type: application/sdp");
    lines.push(`Content-Length: ${encoder.encode(body).length}`);
    return `${lines.join("\r\n")}\r\n\r\n${body}`;
  }

  /** learnToTag takes the To tag of a response (the dialog's remote tag). */
  learnToTag(response: Received): void {
    const to = response.header("to") ?? "";
    const m = /;tag=([^;\s]+)/.exec(to);
    if (m?.[1] !== undefined) this.toTag = m[1];
  }
}

/** respondTo writes a response to a request the peer received (UAS side of the peer). */
export function respondTo(
  request: Received,
  status: number,
  reason: string,
  options: { toTag?: string; body?: string; contact?: string; extra?: string[] } = {},
): string {
  const to = request.header("to") ?? "";
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...request.headers("via").map((v) => `Via: ${v}`),
    `From: ${request.header("from") ?? ""}`,
    `To: ${options.toTag !== undefined && !to.includes(";tag=") ? `${to};tag=${options.toTag}` : to}`,
    `Call-ID: ${request.header("call-id") ?? ""}`,
    `CSeq: ${request.header("cseq") ?? ""}`,
    ...(options.contact === undefined ? [] : [`Contact: ${options.contact}`]),
    ...(options.extra ?? []),
  ];
  const body = options.body ?? "";
  if (body !== "") lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${encoder.encode(body).length}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
