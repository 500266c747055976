/**
 * The Balsa KV cluster of real processes for tests: `kv/testing/kv-process-cluster.ts`
 * (the benchmarks use it too), re-exported where the tests have always found it.
 */
export { CLUSTER_TOKEN, defaultBalsaCli, startKvCluster } from '../../kv/testing/kv-process-cluster.js';
export type { KvCluster, KvClusterOptions, KvClusterTls, PlannedMember, RestartOptions } from '../../kv/testing/kv-process-cluster.js';
