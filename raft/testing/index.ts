/**
 * `balsa/raft/testing`: the deterministic Raft simulator and its safety checkers, for
 * this project's tests and for anyone testing a Raft-based system the same way.
 */
export { runSeed } from './simulator.js';
export type { RunSeedOptions, RunSeedResult, SimStats, SnapshotStats } from './simulator.js';
export { runPool, defaultWorkerCount } from './sim-pool.js';
export type { PoolOptions } from './sim-pool.js';
export { BUG_NAMES, isBugName, testingBugsFor, defaultNodesForSeed, drawCoreOptions } from './sim-config.js';
export type { BugName, CoreOptions } from './sim-config.js';
export { replayCommand, failureLine, statsLine } from './sim-report.js';
export {
  DEFAULT_SEEDS,
  DEFAULT_START_SEED,
  DEFAULT_STEPS,
  ELECTION_TICKS,
  HEARTBEAT_TICKS,
  LIVENESS_TICKS,
  NODES_MAX,
  SPARE_NODES_MAX,
  SNAPSHOT_RESTARTS_MAX,
  TICK_UNITS,
} from './constants.js';
export { EventQueue } from './event-queue.js';
export { SimNetwork, CALM_NETWORK, HEALED_NETWORK } from './sim-network.js';
export type { NetworkProfile, NetworkStats } from './sim-network.js';
export { SimDisk } from './sim-disk.js';
export { SimNode } from './sim-node.js';
export type { SimNodeEnvironment, CoreConfigFactory } from './sim-node.js';
export { SimStateMachine, SnapshotDataError } from './sim-state-machine.js';
export type { ApplyResult, StateSummary } from './sim-state-machine.js';
export { SimClients } from './sim-clients.js';
export type { ClientLoad, ClientStats } from './sim-clients.js';
export { FaultInjector, FAULT_KINDS, drawFaultRates } from './sim-faults.js';
export type { FaultKind, FaultCounts, FaultRates, FaultTarget } from './sim-faults.js';
export { MembershipOperator, MEMBERSHIP_ACTIONS, drawMembershipRates, describeChanges } from './sim-membership.js';
export type { MembershipAction, MembershipCounts, MembershipRates, MembershipTarget } from './sim-membership.js';
export { isRefusal, refusalReason, CoreThrewError } from './sim-errors.js';
export { encodeWrite, payloadOf, confChangePayload, isConfChangePayload, NOOP_PAYLOAD } from './command-codec.js';
export { CheckerSuite } from './checkers/checker-suite.js';
export type { NodeStart } from './checkers/checker-suite.js';
export { ConfigurationChecker, disjointQuorums, malformed, formatConf } from './checkers/configuration-safety.js';
export { SnapshotMatchingChecker } from './checkers/snapshot-matching.js';
export type { SnapshotEvent } from './checkers/snapshot-matching.js';
export { RestoredStateChecker } from './checkers/restored-state.js';
export { SnapshotRestartChecker } from './checkers/snapshot-restarts.js';
export { ElectionSafetyChecker } from './checkers/election-safety.js';
export { VoteSafetyChecker } from './checkers/vote-safety.js';
export { LogMatchingChecker } from './checkers/log-matching.js';
export { LeaderCompletenessChecker } from './checkers/leader-completeness.js';
export { StateMachineSafetyChecker } from './checkers/state-machine-safety.js';
export { CommitMonotonicChecker } from './checkers/commit-monotonic.js';
export { ReadLinearizabilityChecker } from './checkers/read-linearizability.js';
export { LivenessChecker } from './checkers/liveness.js';
export type { LivenessSnapshot } from './checkers/liveness.js';
export { ShadowLog } from './checkers/shadow-log.js';
export type { ShadowEntry } from './checkers/shadow-log.js';
export type { Failure, PropertyName, Violation } from './checkers/violation.js';

// Multi-process clusters: real processes (`cluster-node.js`), sockets and disks.
export { TcpProxy, PROXY_MODES, parseLoopbackAddress } from './tcp-proxy.js';
export type { ProxyMode, ProxyStats, TcpProxyOptions } from './tcp-proxy.js';
export { ProcessCluster, defaultNodeScript, freePort, tailOf } from './process-cluster.js';
export type { MemberExit, MemberState, ProcessClusterOptions, ProcessMember } from './process-cluster.js';
export { ClusterClient, ClusterOperationError } from './cluster-client.js';
export type { ApiError, ClusterClientOptions, Convergence, MemberDigest, MemberEndpoint, ReadResult, WriteAck } from './cluster-client.js';
export { ClusterLoad } from './cluster-load.js';
export type { ClusterLoadOptions, LoadSummary } from './cluster-load.js';
export { RegisterMachine, checkRegisterWrite, decodeRegisterWrite, encodeRegisterWrite } from './register-machine.js';
export type { RegisterDigest, RegisterWrite, RegisterWriteResult } from './register-machine.js';
export { JsonHttpClient, HttpTimeoutError } from './http-json.js';
export type { JsonHttpClientOptions, JsonResponse } from './http-json.js';
export { parseMembers, formatMembers } from './member-list.js';
