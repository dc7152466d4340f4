/**
 * Where an outgoing request or response goes over UDP. sip.js hands the transport a string
 * only (lib/core/transport.d.ts `send(message: string)`), so the transport reads the
 * destination back from the message itself.
 */
import { Grammar, type URI } from "sip.js";
import { SipSignalingError } from "../errors.js";
import {
  parseRequestLine,
  parseStatusCode,
  type RawMessage,
  rawHeaderValue,
  scanMessage,
} from "./raw-message.js";
import {
  DEFAULT_SIP_PORT,
  parseVia,
  responseDestination,
  type SipAddress,
  splitTopViaParm,
  unbracket,
} from "./via.js";

/**
 * uriDestination is the UDP address of a SIP URI (RFC 3261 §8.1.2 with RFC 3263 reduced to
 * an address lookup): `maddr` if present, else host; port, else 5060.
 * Throws SipSignalingError UNROUTABLE for `sips:` or a `transport` other than UDP.
 */
export function uriDestination(uri: URI): SipAddress {
  if (uri.scheme.toLowerCase() !== "sip") {
    throw new SipSignalingError(
      "UNROUTABLE",
      `cannot reach ${uri.scheme}: URIs over UDP (RFC 3261 §26.2)`,
    );
  }
  const transport = uri.getParam("transport");
  if (typeof transport === "string" && transport.toLowerCase() !== "udp") {
    throw new SipSignalingError("UNROUTABLE", `transport=${transport} is not supported (UDP only)`);
  }
  const maddr = uri.getParam("maddr");
  const host = typeof maddr === "string" && maddr !== "" ? maddr : uri.host;
  return { host: unbracket(host), port: uri.port ?? DEFAULT_SIP_PORT };
}

/** Parses the first entry of a Route header field value (`<sip:...;lr>, ...`). */
function firstRouteUri(value: string): URI | undefined {
  const parsed: unknown = Grammar.parse(value, "Record_Route");
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const first: unknown = parsed[0];
  if (typeof first !== "object" || first === null || !("parsed" in first)) return undefined;
  const header: unknown = first.parsed;
  if (typeof header !== "object" || header === null || !("uri" in header)) return undefined;
  return header.uri as URI;
}

/**
 * requestDestination is the next hop of a request: the first Route entry if there is one
 * (loose routing, RFC 3261 §16.12), else the Request-URI.
 */
export function requestDestination(message: RawMessage): SipAddress {
  const line = parseRequestLine(message.startLine);
  if (line === undefined) throw new SipSignalingError("UNROUTABLE", "not a request line");
  const route = rawHeaderValue(message, "route");
  if (route !== undefined) {
    const uri = firstRouteUri(route);
    if (uri === undefined)
      throw new SipSignalingError("UNROUTABLE", `bad Route header field: ${route}`);
    return uriDestination(uri);
  }
  const uri = Grammar.URIParse(line.requestUri);
  if (uri === undefined) {
    throw new SipSignalingError("INVALID_URI", `bad Request-URI: ${line.requestUri}`);
  }
  return uriDestination(uri);
}

/** viaDestination is the destination of a response from its top Via (RFC 3261 §18.2.2). */
export function viaDestination(message: RawMessage): SipAddress {
  const value = rawHeaderValue(message, "via");
  if (value === undefined) throw new SipSignalingError("UNROUTABLE", "response without Via");
  const via = parseVia(splitTopViaParm(value).first);
  if (via === undefined)
    throw new SipSignalingError("UNROUTABLE", `bad Via header field: ${value}`);
  return responseDestination(via);
}

/** messageDestination routes any outgoing SIP message text: requests forward, responses back. */
export function messageDestination(text: string): SipAddress {
  const message = scanMessage(text);
  if (message === undefined) throw new SipSignalingError("UNROUTABLE", "empty message");
  if (parseStatusCode(message.startLine) !== undefined) return viaDestination(message);
  return requestDestination(message);
}
