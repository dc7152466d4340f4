/**
 * The datagram socket the SIP UDP transport runs on: node:dgram in production, an in-memory
 * fake in tests (anything implementing {@link DatagramSocket}).
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { SipSignalingError } from "../errors.js";
import type { SipAddress } from "./via.js";

/** DatagramSocket is a bound UDP socket. */
export interface DatagramSocket {
  /** local is the bound address (the real port when 0 was asked for). */
  readonly local: SipAddress;
  /**
   * receiveBufferBytes is the kernel receive buffer the socket got (SO_RCVBUF as the OS reports
   * it; Linux doubles the value asked for and caps it at net.core.rmem_max), if known.
   */
  readonly receiveBufferBytes?: number;
  /** send sends one datagram; `to.host` may be an IP literal or a host name. */
  send(data: Uint8Array, to: SipAddress): Promise<void>;
  /** close releases the socket; calling it twice is safe. */
  close(): Promise<void>;
}

/** DatagramSocketBindOptions says where to bind and who receives the datagrams. */
export interface DatagramSocketBindOptions {
  readonly host: string;
  readonly port: number;
  /**
   * receiveBufferBytes asks for this kernel receive buffer (SO_RCVBUF) where the OS allows it;
   * a refusal keeps the default. Bursts beyond the buffer are dropped by the kernel.
   */
  readonly receiveBufferBytes?: number;
  /** onMessage receives every datagram with its source address. */
  readonly onMessage: (data: Uint8Array, source: SipAddress) => void;
  /** onError receives socket errors after the bind. */
  readonly onError: (error: Error) => void;
}

/** DatagramSocketFactory binds a {@link DatagramSocket}. */
export type DatagramSocketFactory = (options: DatagramSocketBindOptions) => Promise<DatagramSocket>;

/** CLOSE_FLUSH_MS bounds how long close() waits for datagrams already handed to send(). */
const CLOSE_FLUSH_MS = 1000;

class NodeDatagramSocket implements DatagramSocket {
  private closed = false;
  /** inFlight counts datagrams handed to node:dgram whose send has not completed. */
  private inFlight = 0;
  /** flushed is called once inFlight is back to 0 while close() waits. */
  private flushed: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    readonly local: SipAddress,
    readonly receiveBufferBytes: number,
  ) {}

  send(data: Uint8Array, to: SipAddress): Promise<void> {
    if (this.closed)
      return Promise.reject(new SipSignalingError("TRANSPORT_CLOSED", "socket closed"));
    // node:dgram resolves the address on a later tick even for an IP literal: a close() right
    // after send() would drop the datagram (a BYE sent by stop(), say), so close waits for it
    this.inFlight++;
    return new Promise<void>((resolve, reject) => {
      this.socket.send(data, to.port, to.host, (error) => {
        if (--this.inFlight === 0) this.flushed?.();
        if (error) reject(error);
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const settled = new Promise<void>((resolve) => {
      if (this.inFlight === 0) resolve();
      else {
        this.flushed = resolve;
        timer = setTimeout(resolve, CLOSE_FLUSH_MS);
      }
    });
    return settled.then(
      () =>
        new Promise<void>((resolve) => {
          clearTimeout(timer);
          this.flushed = undefined;
          this.socket.close(() => resolve());
        }),
    );
  }
}

/** receiveBuffer asks for the receive buffer of `options` and returns what the socket has. */
function receiveBuffer(socket: Socket, options: DatagramSocketBindOptions): number {
  if (options.receiveBufferBytes !== undefined) {
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes);
    } catch {
      // the OS refused (e.g. a limit): the default buffer stays
    }
  }
  try {
    return socket.getRecvBufferSize();
  } catch {
    return 0;
  }
}

/** bindNodeDatagramSocket binds a node:dgram socket (udp6 for an IPv6 host, else udp4). */
export const bindNodeDatagramSocket: DatagramSocketFactory = (options) =>
  new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(options.host) ? "udp6" : "udp4" });
    const onBindError = (error: Error): void => {
      socket.close();
      reject(
        new SipSignalingError(
          "BIND_FAILED",
          `cannot bind ${options.host}:${options.port}: ${error.message}`,
        ),
      );
    };
    socket.once("error", onBindError);
    socket.on("message", (data, rinfo) => {
      options.onMessage(data, { host: rinfo.address, port: rinfo.port });
    });
    socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
      socket.off("error", onBindError);
      socket.on("error", options.onError);
      const address = socket.address();
      const local = { host: address.address, port: address.port };
      resolve(new NodeDatagramSocket(socket, local, receiveBuffer(socket, options)));
    });
  });
