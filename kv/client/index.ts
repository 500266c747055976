/** The etcd v3 client the control plane uses over Balsa's KV or any etcd (see `etcd-client.ts`). */
export { ETCD_REQUEST_TIMEOUT_MS, ETCD_RETRY_BUDGET_MS, EtcdClient, WATCH_RETRY_DELAY_MS, endpointAddress, readEtcdClientTls } from './etcd-client.js';
export type { Compare, EtcdClientOptions, EtcdClientTls, EtcdCredentials, KeyValue, RangeOptions, RangeResult, TxnOperation, TxnResult, WatchEvent, WatchHandle, WatchOptions } from './etcd-client.js';
export { EtcdClientError, EtcdCompactedError } from './errors.js';
export { MEMBER_STATUS_TIMEOUT_MS, MemberStatusClient } from './member-status.js';
export type { ClusterStatus, MemberStatus } from './member-status.js';
export type { EtcdClientErrorCode } from './errors.js';
