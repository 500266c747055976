/** The scheduler: places pending pods on nodes through filter and score plugins, and binds them. */
export { Scheduler } from './scheduler.js';
export type { SchedulerOptions, SchedulerStats } from './scheduler.js';
export { defaultProfile } from './default-profile.js';
export { CycleState, StateKey, SUCCESS, errorStatus, normalizeByMax, unschedulable } from './framework.js';
export type { ClusterSnapshot, FilterPlugin, PreFilterPlugin, SchedulerProfile, ScorePlugin, Status, StatusCode, WeightedScorePlugin } from './framework.js';
export { NodeInfo, HOSTNAME_LABEL } from './node-info.js';
export { podInfoOf } from './pod-info.js';
export type { PodInfo, Resources } from './pod-info.js';
export { feasibleNodesToFind } from './nodes-to-score.js';
export { failureMessage, NO_NODES_AVAILABLE_MESSAGE } from './failure-message.js';
export { BIND_CONCURRENCY_DEFAULT, BIND_CONCURRENCY_MAX, DEFAULT_SCHEDULER_NAME, MAX_NODE_SCORE } from './constants.js';
export { REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY, REASON_TOO_MANY_PODS } from './plugins/node-resources-fit.js';
export { REASON_NODE_AFFINITY_MISMATCH } from './plugins/node-affinity.js';
export { reasonUntoleratedTaint } from './plugins/taint-toleration.js';
export { REASON_ANTI_AFFINITY, REASON_EXISTING_ANTI_AFFINITY } from './plugins/inter-pod-anti-affinity.js';
export { REASON_NODE_UNSCHEDULABLE } from './plugins/node-unschedulable.js';
export { REASON_NODE_NOT_READY } from './plugins/node-ready.js';
