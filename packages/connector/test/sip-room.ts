// The room of the connector's real-peer tests: a RoomKit with one A/V channel ("av", audio and
// video bridged) over a SipVideoBackend on 127.0.0.1 (ports from a random window, so parallel
// runs do not collide), a Connector on that channel, and a LiveKit-style token maker. Closed by
// the test's cleanups.
import { SipVideoBackend } from "@framewire/sip-signaling";
import { HOST, onCleanup } from "@framewire/test-support/peers";
import { AudioVideoChannel, RoomKit } from "@framewire/video-bridge";
import { createAccessToken } from "../src/access-token.js";
import { Connector, type ConnectorTokens } from "../src/core/connector.js";

export const SECRET = "a-room-secret-of-at-least-32-bytes!!";

/** sipRoom starts the backend and returns the kit, the connector and the SIP port to call. */
export async function sipRoom(
  options: { readonly ports?: number; readonly tokens?: ConnectorTokens } = {},
) {
  const span = options.ports ?? 16;
  const rtpStart = 40_000 + 2 * Math.floor(Math.random() * 10_000);
  const backend = new SipVideoBackend({
    localSipAddr: [HOST, 0],
    localRtpIp: HOST,
    rtpPortStart: rtpStart,
    rtpPortEnd: rtpStart + span,
  });
  const address = await backend.start();
  const kit = new RoomKit();
  kit.registerChannel(new AudioVideoChannel("av", { backend, bridge: true, videoBridge: true }));
  const connector = new Connector(kit, {
    channelId: "av",
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
  });
  onCleanup(async () => {
    kit.close();
    await backend.stop();
  });
  const token = (roomId: string, identity: string, applicationId = "app") =>
    createAccessToken({ secret: SECRET, applicationId, roomId, identity });
  return { backend, kit, connector, sipPort: address.port, token };
}
