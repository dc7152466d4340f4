/** An outgoing H.264 call of the backend under test: placed (callWithH264), fed test.h264 (sendTestVideo). */
import { readFileSync } from "node:fs";
import { joinAnnexB, type MediaSession, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { type Paced, paced } from "@framewire/test-support/peers";
import { expect } from "vitest";
import type { SipCallMetadata, SipVideoBackend } from "../src/sip-video-backend.js";

/**
 * callWithH264 places `backend.call(uri, {video: true})` and checks that the call has H.264
 * video and holds one port pair; resolves with the session and the set-up time.
 */
export async function callWithH264(
  backend: SipVideoBackend,
  uri: string,
): Promise<{ readonly session: MediaSession; readonly setupMs: number }> {
  const t0 = Date.now();
  const session = await backend.call(uri, { video: true });
  const setupMs = Date.now() - t0;
  const meta = session.metadata as SipCallMetadata;
  expect(meta).toMatchObject({ hasVideo: true, videoCodec: "h264", direction: "outgoing" });
  expect(backend.portsInUse).toBe(2);
  return { session, setupMs };
}

/**
 * sendTestVideo sends the first `count` access units of fixtures/test.h264 into `session` with
 * `sendVideoSync`, paced at 30 fps within 8 s; resolves with the RTP packets sent and the pacing.
 */
export async function sendTestVideo(
  backend: SipVideoBackend,
  session: MediaSession,
  count: number,
): Promise<{ readonly packets: number; readonly pacing: Paced }> {
  const { units, idr: keyframe } = h264AccessUnits(readFileSync(fixture("test.h264")), {
    splitAnnexB,
    joinAnnexB,
  });
  let packets = 0;
  const pacing = await paced(count, 1000 / 30, 8_000, (i) => {
    packets += backend.sendVideoSync(session, {
      data: units[i]!,
      keyframe: keyframe[i]!,
      timestampMs: (i * 1000) / 30,
    });
  });
  return { packets, pacing };
}
