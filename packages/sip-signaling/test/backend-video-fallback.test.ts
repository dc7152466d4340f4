/**
 * SipVideoBackend against the seed's "video session failure → audio continues", over real UDP on
 * 127.0.0.1 with hand-written SIP (RawSipPeer):
 *  - an incoming audio+video call whose video RTP session cannot be set up (no port pair left,
 *    or the pair's socket cannot be bound) is answered 200 with `m=video 0` (RFC 3264 §6),
 *    audio flows, `hasVideo` false, `videoSetupError` says why, `mediaStats` counts it;
 *  - an outgoing call in the same state offers audio only and is established audio-only;
 *  - `getVideoSession` gives nothing for an audio-only call; the backend is named "SIP-AV".
 * After every case: portsInUse 0, sessionCount 0.
 */
import { createSocket, type Socket } from "node:dgram";
import type { AudioFrame, MediaSession } from "@framewire/rtp-video";
import {
  freeUdpPorts,
  HOST,
  onCleanup,
  report,
  runCleanups,
  waitUntil,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import type { SipCallMetadata, SipVideoBackend } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { offerSdp, RawSipPeer } from "./raw-sip-peer.js";

afterEach(async () => {
  await runCleanups();
});

async function expectIdle(backend: SipVideoBackend): Promise<void> {
  await waitUntil(() => backend.portsInUse === 0 && backend.sessionCount === 0, 5_000);
  expect({ portsInUse: backend.portsInUse, sessions: backend.sessionCount }).toEqual({
    portsInUse: 0,
    sessions: 0,
  });
}

function sessionsOf(backend: SipVideoBackend): MediaSession[] {
  const list: MediaSession[] = [];
  onCleanup(backend.onCall((s) => void list.push(s)));
  return list;
}

/** bindUdp holds a UDP port on 127.0.0.1 (as another process would), closed at cleanup. */
async function bindUdp(port: number): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: HOST, port, exclusive: true }, () => resolve());
  });
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** pcmuPacket is one RTP packet of 20 ms PCMU silence (RFC 3550 §5.1, RFC 3551 PT 0). */
function pcmuPacket(seq: number): Uint8Array {
  const p = new Uint8Array(12 + 160).fill(0xff);
  p.set([0x80, 0x00, seq >> 8, seq & 0xff, 0, 0, 0, seq * 160, 0x11, 0x22, 0x33, 0x44]);
  return p;
}

/**
 * audioOnlyCall INVITEs `backend` with audio + H.264 video from `peer` and checks the audio-only
 * outcome; returns the session and the answer.
 */
async function expectAudioOnlyAnswer(backend: SipVideoBackend, port: number, error: RegExp) {
  const sessions = sessionsOf(backend);
  const heard: AudioFrame[] = [];
  onCleanup(backend.onAudioReceived((_, f) => void heard.push(f)));
  const media = await freeUdpPorts(4);
  const audioPeer = await bindUdp(media);
  const peer = await RawSipPeer.open(port);
  const dialog = await peer.invite({ sdp: offerSdp({ audioPort: media, videoPort: media + 2 }) });
  const final = await peer.finalResponse(dialog);
  if (final.status === 200) await peer.ack(dialog);
  report("video setup failed → audio-only", {
    final: final.startLine,
    answer: final.body.replace(/\r\n/g, "|"),
    rejected: backend.rejected,
    mediaStats: backend.mediaStats,
  });
  expect(final.status).toBe(200);
  // RFC 3264 §6: the video m-line is answered, refused with port 0; audio has its port
  expect(final.body).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0\b/m);
  expect(final.body).toMatch(/^m=video 0 RTP\/AVP /m);
  await waitUntil(() => sessions.length === 1, 2_000);
  const s = sessions[0]!;
  const meta = s.metadata as SipCallMetadata;
  expect(meta).toMatchObject({ hasVideo: false, videoCodec: undefined, direction: "incoming" });
  expect(meta.videoSetupError).toMatch(error);
  expect(s.video).toBeUndefined();
  expect(backend.getVideoSession(s.id)).toBeUndefined();
  expect(backend.mediaStats.videoSetupFailures).toBe(1);
  expect(backend.rejected).toEqual({});
  // audio continues: RTP to the answered audio port comes out of onAudioReceived
  const audioPort = Number(/^m=audio (\d+)/m.exec(final.body)![1]);
  for (let i = 1; i <= 3; i++) audioPeer.send(pcmuPacket(i), audioPort, HOST);
  await waitUntil(() => heard.length === 3, 2_000);
  expect(heard.map((f) => f.codec)).toEqual(["pcmu", "pcmu", "pcmu"]);
  expect(backend.portsInUse).toBe(1);
  expect((await peer.bye(dialog)).status).toBe(200);
  await expectIdle(backend);
}

describe("video session failure → audio continues (seed 001)", () => {
  it("incoming: no RTP port pair left for video → 200 with m=video 0, audio-only, counted", async () => {
    const { backend, port } = await startBackend({}, 1);
    await expectAudioOnlyAnswer(backend, port, /PORTS_EXHAUSTED/);
  });

  it("incoming: the video pair's socket cannot be bound (port taken) → the same, the error says so", async () => {
    const { backend, port, rtpStart } = await startBackend({}, 2);
    // the audio takes the first pair; the second one's RTP port is held by "another process"
    await bindUdp(rtpStart + 2);
    await expectAudioOnlyAnswer(backend, port, /PORTS_EXHAUSTED.*PORT_UNAVAILABLE/);
  });

  it("outgoing: no pair for video → the offer is audio-only and the call is established audio-only", async () => {
    const callee = await startBackend();
    const caller = await startBackend({}, 1);
    const arrived = sessionsOf(callee.backend);
    const session = await caller.backend.call(`sip:room1@${HOST}:${callee.port}`);
    const meta = session.metadata as SipCallMetadata;
    report("outgoing, no video pair", { metadata: meta, mediaStats: caller.backend.mediaStats });
    expect(meta).toMatchObject({ hasVideo: false, direction: "outgoing" });
    expect(meta.videoSetupError).toMatch(/PORTS_EXHAUSTED/);
    expect(session.video).toBeUndefined();
    expect(caller.backend.getVideoSession(session.id)).toBeUndefined();
    expect(caller.backend.mediaStats.videoSetupFailures).toBe(1);
    await waitUntil(() => arrived.length === 1, 2_000);
    expect((arrived[0]!.metadata as SipCallMetadata).hasVideo).toBe(false);
    expect(callee.backend.mediaStats.videoSetupFailures).toBe(0);
    caller.backend.disconnect(session);
    await expectIdle(caller.backend);
    await expectIdle(callee.backend);
  });
});

describe("getVideoSession and name (seed 001)", () => {
  it('the backend is named "SIP-AV"; getVideoSession gives an A/V call\'s session, nothing for an audio-only one', async () => {
    const callee = await startBackend();
    const caller = await startBackend();
    expect(callee.backend.name).toBe("SIP-AV");
    const av = await caller.backend.call(`sip:room1@${HOST}:${callee.port}`);
    const audio = await caller.backend.call(`sip:room1@${HOST}:${callee.port}`, { video: false });
    expect((av.metadata as SipCallMetadata).videoSetupError).toBeUndefined();
    expect(caller.backend.getVideoSession(av.id)).toBe(av);
    expect(caller.backend.getVideoSession(audio.id)).toBeUndefined();
    expect(caller.backend.listVideoSessions("room1")).toEqual([av]);
    await waitUntil(() => callee.backend.sessionCount === 2, 2_000);
    const theirs = callee.backend.listVideoSessions("room1");
    expect(theirs).toHaveLength(1);
    expect((theirs[0]!.metadata as SipCallMetadata).hasVideo).toBe(true);
    caller.backend.disconnect(av);
    caller.backend.disconnect(audio);
    await expectIdle(caller.backend);
    await expectIdle(callee.backend);
  });
});
