/**
 * The configuration of sip.js's `UserAgentCore` for our UDP transport: Via and Contact from the
 * transport's sent-by, our Digest client for 401/407, and an address-of-record that follows the
 * Request-URI of the request being delivered (any Request-URI user is accepted: a room).
 */
import { isIPv6 } from "node:net";
import { type Core, URI } from "sip.js";
import { DigestClient, type DigestClientCredentials } from "./digest-client.js";
import type { SipUdpTransport } from "./udp-transport.js";
import type { SipAddress } from "./via.js";

/** hostForUri writes a host as a SIP URI holds it (an IPv6 literal in brackets). */
function hostForUri(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/** sipUri is the URI `sip:user@host:port` of `user` at `address`. */
export function sipUri(user: string, address: SipAddress): URI {
  return new URI("sip", user, hostForUri(address.host), address.port);
}

/**
 * DeliveringAor is the core's address-of-record: the Request-URI of the request being
 * delivered, else our Contact URI. sip.js answers 404 unless the Request-URI user equals its
 * aor or contact user (user-agent-core.js receiveRequest, "8.2.2.1 To and Request-URI").
 */
export class DeliveringAor {
  private delivering: URI | undefined;

  constructor(private readonly contactUri: URI) {}

  /** aor is the Request-URI being delivered, else the Contact URI. */
  get aor(): URI {
    return this.delivering ?? this.contactUri;
  }

  /** deliver hands `message` to the core with its own Request-URI as the aor. */
  deliver(core: Core.UserAgentCore, message: Core.IncomingRequestMessage): void {
    this.delivering = message.ruri;
    try {
      core.receiveIncomingRequestFromTransport(message);
    } finally {
      this.delivering = undefined;
    }
  }
}

/** CoreSettings are the user agent's choices that go into the core configuration. */
export interface CoreSettings {
  readonly displayName: string | undefined;
  readonly userAgent: string | undefined;
  readonly credentials: DigestClientCredentials | undefined;
}

/** coreConfiguration configures the core over `transport`, with `contactUri` as our Contact. */
export function coreConfiguration(
  settings: CoreSettings,
  loggerFactory: Core.LoggerFactory,
  transport: SipUdpTransport,
  contactUri: URI,
  aor: DeliveringAor,
): Core.UserAgentCoreConfiguration {
  const sentBy = transport.sentBy;
  return {
    get aor(): URI {
      return aor.aor;
    },
    contact: {
      pubGruu: undefined,
      tempGruu: undefined,
      uri: contactUri,
      toString: () => `<${contactUri.toString()}>`,
    },
    displayName: settings.displayName ?? "",
    loggerFactory,
    hackViaTcp: false,
    routeSet: [],
    sipjsId: Math.random().toString(36).slice(2, 7),
    supportedOptionTags: [],
    supportedOptionTagsResponse: [],
    userAgentHeaderFieldValue: settings.userAgent ?? "Framewire",
    viaForceRport: true,
    viaHost: `${hostForUri(sentBy.host)}:${sentBy.port}`,
    authenticationFactory: () => {
      const credentials = settings.credentials;
      // sip.js calls authenticate(request, challenge) and toString() on what it gets here
      return credentials === undefined
        ? undefined
        : (new DigestClient(credentials) as unknown as Core.DigestAuthentication);
    },
    transportAccessor: () => transport,
  };
}
