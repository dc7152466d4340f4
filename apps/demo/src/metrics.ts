import { Gauge, Registry } from "prom-client";
import type { BridgeView, DemoState, ParticipantView } from "./state.js";

type Labels = "room" | "participant" | "caller";

/**
 * demoMetrics is a Prometheus registry whose values are read from the demo's state at each
 * scrape (prom-client `collect`), so nothing is counted twice.
 */
export function demoMetrics(state: DemoState): Registry {
  const registry = new Registry();
  const per = (name: string, help: string, value: (p: ParticipantView) => number): void => {
    new Gauge<Labels>({
      name,
      help,
      labelNames: ["room", "participant", "caller"],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of state.participants())
          this.set({ room: p.roomId, participant: p.id, caller: p.caller }, value(p));
      },
    });
  };
  per(
    "framewire_participant_video_fps",
    "Video frames per second received from the participant",
    (p) => p.fps,
  );
  per(
    "framewire_participant_video_bitrate_kbps",
    "Video kbit/s received from the participant",
    (p) => p.kbps,
  );
  per(
    "framewire_participant_video_frames_received",
    "Video frames received from the participant",
    (p) => p.framesIn,
  );
  per(
    "framewire_participant_video_keyframes_received",
    "Keyframes received from the participant",
    (p) => p.keyframes,
  );
  per(
    "framewire_participant_video_packets_lost",
    "RTP packets lost from the participant",
    (p) => p.lost,
  );
  per(
    "framewire_participant_video_frames_forwarded",
    "Frames of the participant sent to others",
    (p) => p.forwarded,
  );
  per(
    "framewire_participant_video_frames_delivered",
    "Frames sent to the participant",
    (p) => p.delivered,
  );
  per(
    "framewire_participant_video_frames_dropped",
    "Frames of the participant dropped",
    (p) => p.dropped,
  );
  per(
    "framewire_participant_audio_packets_received",
    "Audio packets received from the participant",
    (p) => p.audioPacketsIn,
  );
  per(
    "framewire_participant_rtp_foreign_packets",
    "RTP/RTCP datagrams from another address than the participant's accepted source, dropped",
    (p) => p.foreignPackets,
  );
  per(
    "framewire_participant_rtp_source_changes",
    "Times the participant's accepted RTP source moved to another address",
    (p) => p.sourceChanges,
  );
  per(
    "framewire_participant_rtp_malformed_packets",
    "RTP/RTCP datagrams from the participant's source that did not parse",
    (p) => p.malformedPackets,
  );
  per(
    "framewire_participant_video_nal_units_outside_mode",
    "H.264 NAL units over the MTU sent to the participant as FU-A although it negotiated packetization-mode 0",
    (p) => p.nalUnitsOutsideMode,
  );
  per(
    "framewire_participant_video_nal_units_dropped",
    "H.264 NAL units over the MTU not sent to the participant (packetization-mode 0, drop policy)",
    (p) => p.nalUnitsDropped,
  );
  new Gauge({
    name: "framewire_room_participants",
    help: "Participants in each room",
    labelNames: ["room"],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const p of state.participants()) counts.set(p.roomId, (counts.get(p.roomId) ?? 0) + 1);
      for (const [room, n] of counts) this.set({ room }, n);
    },
  });
  const bridge = (name: string, help: string, pick: (s: BridgeView) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(state.bridgeView()));
      },
    });
  bridge(
    "framewire_bridge_frames_sent",
    "Video frames the bridge sent to targets",
    (b) => b.framesSent,
  );
  bridge(
    "framewire_bridge_keyframes_sent",
    "Keyframes the bridge sent to targets",
    (b) => b.keyframesSent,
  );
  bridge(
    "framewire_bridge_keyframe_requests",
    "Keyframe requests the bridge sent to sources",
    (b) => b.keyframeRequests,
  );
  bridge("framewire_rtp_ports_in_use", "RTP port pairs held by calls", (b) => b.portsInUse);
  bridge(
    "framewire_sip_malformed_datagrams",
    "Datagrams on the SIP port that were not SIP, dropped",
    (b) => b.sip.malformed,
  );
  bridge("framewire_sip_bad_requests", "SIP requests answered 400", (b) => b.sip.badRequests);
  bridge(
    "framewire_sip_oversize_datagrams",
    "Datagrams on the SIP port over the size cap, dropped",
    (b) => b.sip.oversize,
  );
  bridge(
    "framewire_sip_rejected_requests",
    "SIP requests answered 404/405/501/503 before reaching a call",
    (b) => b.sip.rejectedRequests,
  );
  bridge("framewire_sip_auth_failures", "SIP requests answered 403", (b) => b.sip.authFailures);
  return registry;
}
