export {
  KAMAILIO_MODULES,
  type RunClusterOptions,
  type RunningCluster,
  runCluster,
} from "./cluster.js";
export {
  type ClusterConfig,
  type ClusterShape,
  clusterConfig,
  DEFAULT_CLUSTER,
  metricsUrl,
  type NodeConfig,
  nodeUri,
  readClusterConfig,
  validateClusterConfig,
} from "./cluster-config.js";
export {
  type BotPlacement,
  ClusterNode,
  type ClusterNodeOptions,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type NodeEvent,
  type RoomPlacement,
} from "./cluster-node.js";
export { ClusterError, type ClusterErrorCode } from "./errors.js";
export {
  DISPATCHER_SET,
  type KamailioPaths,
  renderDispatcherList,
  renderKamailioCfg,
} from "./kamailio-cfg.js";
export { ManagedProcess, type ManagedProcessOptions } from "./managed-process.js";
export { type NodeHttp, serveNode } from "./node-http.js";
export { type NodeStatus, type NodeView, nodeMetrics, nodeStatus } from "./node-metrics.js";
export { drainingAnswer, type Health, healthSocketFactory } from "./options-health.js";
export { NodeRegistry, type RegistryOptions, type RegistryStats } from "./registry.js";
export { CLAIM_ROOM, nodeKey, RELEASE_ROOM, roomKey } from "./registry-scripts.js";
export { renderScrapeConfig } from "./scrape-config.js";
export { sipPing } from "./sip-ping.js";
export {
  fetchClusterRows,
  fetchNodeRow,
  type NodeRow,
  renderStatusTable,
} from "./status-table.js";
