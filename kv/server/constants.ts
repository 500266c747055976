/**
 * The KV server's limits and etcd's numbers, in one place (units in the names). The
 * relationships between them are checked at load.
 */
import { DEFAULT_PAGE_SIZE_BYTES } from '../backend/bolt/index.js';

/** The etcd API version Balsa speaks (what Status reports, and the cluster version a snapshot records). */
export const ETCD_API_VERSION = '3.4.0';

/** Room above `--max-request-bytes` for gRPC framing (etcd's grpcOverheadBytes). */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

/** etcd's request timeout: 5 s, plus two election timeouts (added by the server from its own). */
export const BASE_REQUEST_TIMEOUT_MS = 5_000;

/** A member retries publishing its name and client URLs this often until it is applied. */
export const PUBLISH_RETRY_MS = 1_000;

/** The leader looks for voters being added that have caught up, and for addresses Raft has yet to learn, this often. */
export const PROMOTE_CHECK_INTERVAL_MS = 500;

/** etcd's health interval: a peer heard from within it counts as connected when a voter's removal is checked. */
export const HEALTH_INTERVAL_MS = 5_000;

/** etcd's readiness rule for promoting a learner: its match index is at least this share of the leader's. */
export const LEARNER_READY_FRACTION = 0.9;

/** A membership change waiting for the one before it (or for a new leader's first entry) retries this often. */
export const CONF_CHANGE_RETRY_MS = 100;

/** etcd's quota costs (etcdserver/quota.go): a key's metadata, and a lease. */
export const QUOTA_KV_OVERHEAD_BYTES = 256;
export const QUOTA_LEASE_OVERHEAD_BYTES = 64;

/** Snapshot stream chunks (etcd sends 32 KiB). */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;
/** etcdctl recognises the sha256 trailer by the file's size: a multiple of this, plus 32. */
export const SNAPSHOT_ALIGNMENT_BYTES = 512;

/** etcd's revision-mode auto-compaction checks this often. */
export const REVISION_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
/** Periodic auto-compaction compacts at least this often once the retention is longer (etcd: hourly). */
export const MAX_PERIODIC_COMPACTION_INTERVAL_MS = 60 * 60 * 1000;
/** Periodic auto-compaction samples the revision this many times per interval (etcd's retryDivisor). */
export const PERIODIC_COMPACTION_SAMPLES_PER_INTERVAL = 10;

/** How long a member joining an existing cluster waits for each peer's member list (etcd: 10 s per peer). */
export const REMOTE_MEMBER_LIST_TIMEOUT_MS = 10_000;

/** Open gRPC clients to other members' client URLs (one per leader seen; old ones are closed). */
export const MAX_FORWARDING_CLIENTS = 8;

/**
 * The HTTP/2 front (`http2-front/`) holds a header block until it is complete: at most this
 * many octets of HEADERS and CONTINUATION payload. Far above any gRPC request's metadata
 * (Node's HTTP/2 server refuses a header list over 64 KiB); a larger block is handed to the
 * server untouched, which refuses it.
 */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;
/** HTTP/2's initial connection flow-control window: the DATA a client may send before the server opens it wider. */
export const HTTP2_INITIAL_WINDOW_BYTES = 65_535;
/**
 * What a client may send before its connection is routed (`routeFirstRequest`): a first
 * header block at its longest, a window of DATA, and room for the frames around them. A
 * client that sends more before acknowledging the router's SETTINGS is disconnected.
 */
export const MAX_UNROUTED_BYTES = MAX_HEADER_BLOCK_BYTES + HTTP2_INITIAL_WINDOW_BYTES + 64 * 1024;
/**
 * The gRPC server's HPACK table size (its SETTINGS_HEADER_TABLE_SIZE: HTTP/2's initial
 * value, which Node's HTTP/2 server keeps): the largest table a client may ask for, and so
 * what the front's decoder allows.
 */
export const HPACK_HEADER_TABLE_BYTES = 4096;
/**
 * A client has this long to acknowledge the SETTINGS a connection's router sends in the
 * server's stead (RFC 9113 §6.5.3: "immediately"); one that does not is disconnected.
 */
export const SETTINGS_ACK_TIMEOUT_MS = 10_000;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`kv/server constants: ${what}`);
}

check(DEFAULT_PAGE_SIZE_BYTES % SNAPSHOT_ALIGNMENT_BYTES === 0, 'a snapshot file of whole pages must be recognisable by its size');
check(LEARNER_READY_FRACTION > 0 && LEARNER_READY_FRACTION <= 1, 'the learner ready fraction is a share');
check(PROMOTE_CHECK_INTERVAL_MS < BASE_REQUEST_TIMEOUT_MS, 'promotion checks must run well within a request timeout');
check(CONF_CHANGE_RETRY_MS < BASE_REQUEST_TIMEOUT_MS, 'conf change retries must fit in a request timeout');
check(MAX_FORWARDING_CLIENTS >= 1, 'forwarding needs a client');
check(MAX_HEADER_BLOCK_BYTES >= 64 * 1024, 'the front must hold any header block the server accepts');
check(MAX_UNROUTED_BYTES > MAX_HEADER_BLOCK_BYTES + HTTP2_INITIAL_WINDOW_BYTES, 'a router must hold a first request and the DATA sent with it');
