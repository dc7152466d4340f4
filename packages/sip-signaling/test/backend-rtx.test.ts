/**
 * RFC 4588 RTX between two backends over UDP on 127.0.0.1: offered and answered by default for
 * the chosen video codec (the placeholder of the caller, opened before the answer, already has
 * it, so it is reused), and absent on both sides when the callee turns it off (`rtx: false`):
 * then NACKs are answered by same-stream retransmission.
 */
import type { MediaSession, VideoRtpSession } from "@framewire/rtp-video";
import { HOST, runCleanups, waitUntil } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import { OFFER_RTX_PAYLOAD_TYPES } from "../src/index.js";
import type { SipVideoBackendOptions } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";

afterEach(async () => {
  await runCleanups();
});

async function call(bobOptions: SipVideoBackendOptions) {
  const { backend: bob, port } = await startBackend(bobOptions, 8);
  const { backend: alice } = await startBackend({}, 8);
  const bobSessions: MediaSession[] = [];
  bob.onCall((s) => void bobSessions.push(s));
  const session = await alice.call(`sip:room@${HOST}:${port}`);
  await waitUntil(() => bobSessions.length === 1, 5_000);
  const video = (s: MediaSession): VideoRtpSession => {
    expect(s.video).toBeDefined();
    return s.video as VideoRtpSession;
  };
  return { caller: video(session), callee: video(bobSessions[0]!) };
}

describe("RTX negotiated between backends", () => {
  it("on by default: both video sessions use the offer's RTX payload type for H.264", async () => {
    const { caller, callee } = await call({});
    expect(OFFER_RTX_PAYLOAD_TYPES.H264).toBe(99);
    expect(caller.rtxPayloadType).toBe(OFFER_RTX_PAYLOAD_TYPES.H264);
    expect(callee.rtxPayloadType).toBe(OFFER_RTX_PAYLOAD_TYPES.H264);
  });

  it("rtx: false at the callee: it answers without RTX, and neither side uses it", async () => {
    const { caller, callee } = await call({ rtx: false });
    expect(callee.rtxPayloadType).toBeUndefined();
    expect(caller.rtxPayloadType).toBeUndefined();
  });
});
