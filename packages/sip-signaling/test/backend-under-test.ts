/** startBackend: the SipVideoBackend under test, on 127.0.0.1 with a private RTP port range. */
import { HOST, onCleanup } from "@framewire/test-support/peers";
import { SipVideoBackend, type SipVideoBackendOptions } from "../src/sip-video-backend.js";

/**
 * startBackend starts a SipVideoBackend on 127.0.0.1 (any free SIP port) with a private RTP
 * range of `pairs` even/odd pairs picked at random in 40000..60000, stopped at cleanup.
 */
export async function startBackend(
  options: SipVideoBackendOptions = {},
  pairs = 64,
): Promise<{ backend: SipVideoBackend; port: number; rtpStart: number; rtpEnd: number }> {
  const rtpStart = 40_000 + 2 * Math.floor(Math.random() * ((20_000 - 2 * pairs) / 2));
  const rtpEnd = rtpStart + 2 * pairs;
  const backend = new SipVideoBackend({
    localSipAddr: [HOST, 0],
    localRtpIp: HOST,
    rtpPortStart: rtpStart,
    rtpPortEnd: rtpEnd,
    ...options,
  });
  const address = await backend.start();
  onCleanup(() => backend.stop());
  return { backend, port: address.port, rtpStart, rtpEnd };
}
