/**
 * `balsa up`'s defaults and limits, in one place (units in the names). Their relationships
 * are checked at load: a broken one is a bug, not a configuration.
 */

/** KV members (each a `balsa server`): three tolerate one member down. */
export const DEFAULT_SERVERS = 3;
/** More members would only slow every write (each is a Raft voter) on one machine. */
export const MAX_SERVERS = 7;
/** Node agents, each on its own loopback address. */
export const DEFAULT_AGENTS = 2;
/** Nodes get 127.0.0.2 up to 127.0.0.(1 + MAX_AGENTS); a bound on the processes one command starts. */
export const MAX_AGENTS = 50;
/** The first node's address; node `i` (from 0) is 127.0.0.(FIRST_NODE_HOST + i). */
export const FIRST_NODE_HOST = 2;

/** Server `i` (from 0) serves KV clients on KV_PORT + 2i and peers on KV_PORT + 2i + 1 (etcd's 2379/2380, then the next pairs). */
export const DEFAULT_KV_PORT = 2379;
/** Server `i` (from 0) serves the API over HTTP on API_PORT + 2i and gRPC on API_PORT + 2i + 1 (6443/6444, then the next pairs). */
export const DEFAULT_API_PORT = 6443;
/** Every agent serves its logs on this port of its own address (so one number for all); 0 = any free port. */
export const DEFAULT_AGENT_LOGS_PORT = 10250;
/** The demo Service's port, on every node's address (≥ 1024: the proxy binds it without privileges). */
export const DEFAULT_DEMO_PORT = 8090;
/** Services listen on node addresses without privileges: their ports start here. */
export const MIN_UNPRIVILEGED_PORT = 1024;

/** The data folder under the home directory when `--data-dir` is not given. */
export const DEFAULT_DATA_DIR_UNDER_HOME = ['.balsa', 'up'] as const;
/** The KV cluster's `--initial-cluster-token`: members of another cluster cannot join this one by mistake. */
export const CLUSTER_TOKEN = 'balsa-up';

/** The servers must all serve the API, and the KV elect a leader, within this long. */
export const SERVERS_START_TIMEOUT_MS = 120_000;
/** The agents must all register, and their nodes be Ready, within this long. */
export const AGENTS_START_TIMEOUT_MS = 120_000;
/** The demo must answer through a node's proxy within this long (its pods start and pass their probe). */
export const DEMO_TIMEOUT_MS = 120_000;
/** How often readiness is polled while waiting. */
export const POLL_INTERVAL_MS = 500;
/** One readiness request gives up after this long (the next poll tries again). */
export const REQUEST_TIMEOUT_MS = 5_000;
/** An agent gets this long after SIGTERM to stop its pods (their grace periods) before it and its pods are killed. */
export const AGENT_STOP_GRACE_MS = 60_000;
/** A server gets this long after SIGTERM before it is killed. */
export const SERVER_STOP_GRACE_MS = 15_000;

/** The environment variable that tells a child it was started by `balsa up` (it then stops when `up` goes). */
export const UP_CHILD_ENV = 'BALSA_UP_CHILD';

if (DEFAULT_SERVERS > MAX_SERVERS || DEFAULT_AGENTS > MAX_AGENTS) throw new Error('balsa up: a default exceeds its limit');
if (FIRST_NODE_HOST + MAX_AGENTS > 255) throw new Error('balsa up: the node addresses would leave 127.0.0.0/24');
if (DEFAULT_DEMO_PORT < MIN_UNPRIVILEGED_PORT) throw new Error('balsa up: the demo port must be unprivileged');
if (AGENT_STOP_GRACE_MS < SERVER_STOP_GRACE_MS) throw new Error('balsa up: agents stop their pods, they need at least the servers\' grace');
