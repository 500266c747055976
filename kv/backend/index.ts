/**
 * etcd 3.4's backend database, written from Balsa's state: the bbolt file
 * (`bolt/`) in etcd's bucket layout (`etcd-backend.ts`). Named exports only.
 */
export { planEtcdBackendFile, etcdBackendBuckets, memberJson, ETCD_BUCKETS, ETCD_META_KEYS } from './etcd-backend.js';
export type { EtcdBackendState, EtcdBackendMember } from './etcd-backend.js';
export { encodeRevisionKey, decodeRevisionKey, REVISION_KEY_BYTES } from './revision-key.js';
export type { RevisionKey } from './revision-key.js';
export { encodeKeyValue, encodeTombstone, encodeLease, encodeAlarmMember } from './record-encoding.js';
export { EtcdBackendError } from './errors.js';
export type { EtcdBackendErrorCode } from './errors.js';
