/**
 * The service proxy's limits and defaults. Every queue, table and retry of the proxy is
 * bounded by one of these; `ServiceProxyOptions` may lower or raise the ones a node
 * operator (or a test) has reason to change.
 */

/** Open TCP connections the proxy carries at once, over all Services; a connection past this is refused (reset). */
export const PROXY_TCP_CONNECTIONS_MAX = 10_000;

/** UDP sessions (client address → endpoint) held at once, over all Services; a datagram that would open one more is dropped. */
export const PROXY_UDP_SESSIONS_MAX = 4_096;

/**
 * How long one connect to an endpoint may take before the proxy gives up on it and tries
 * the next one. Endpoints are pods on the cluster's nodes: a healthy one answers a SYN in
 * well under a millisecond on loopback and a few on a LAN, so two seconds means it is gone.
 */
export const PROXY_CONNECT_TIMEOUT_MS = 2_000;

/** Endpoints tried for one new TCP connection (each refusing or timing out) before the client is turned away. */
export const PROXY_DIAL_ATTEMPTS_MAX = 8;

/** A listener that could not bind (port taken, not permitted) is tried again this often while its Service port exists. */
export const PROXY_BIND_RETRY_MS = 5_000;

/**
 * A UDP session with no datagram either way for this long is closed (its socket freed; the
 * client's next datagram opens a new session, possibly to another endpoint). 30 s is Linux
 * conntrack's UDP timeout (`nf_conntrack_udp_timeout`), which is what kube-proxy's iptables
 * and IPVS modes give a UDP "connection" in effect; its old userspace mode defaulted to
 * 250 ms (`--udp-timeout`), too short for a request whose reply takes a moment.
 */
export const PROXY_UDP_IDLE_TIMEOUT_MS = 30_000;

/** Datagrams held for a UDP session while its socket to the endpoint is being set up; more are dropped. */
export const PROXY_UDP_PENDING_DATAGRAMS_MAX = 64;

/** `sessionAffinityConfig.clientIP.timeoutSeconds` when the Service does not say (Kubernetes' default: 3 hours). */
export const PROXY_AFFINITY_TIMEOUT_SECONDS_DEFAULT = 10_800;

/** Client IPs remembered per Service port for `sessionAffinity: ClientIP`; the least recently used is forgotten first. */
export const PROXY_AFFINITY_ENTRIES_MAX = 10_000;

/** Checked at load: a limit of zero would make the proxy refuse everything without saying why. */
function checkLimits(): void {
  const positive = {
    PROXY_TCP_CONNECTIONS_MAX,
    PROXY_UDP_SESSIONS_MAX,
    PROXY_CONNECT_TIMEOUT_MS,
    PROXY_DIAL_ATTEMPTS_MAX,
    PROXY_BIND_RETRY_MS,
    PROXY_UDP_IDLE_TIMEOUT_MS,
    PROXY_UDP_PENDING_DATAGRAMS_MAX,
    PROXY_AFFINITY_TIMEOUT_SECONDS_DEFAULT,
    PROXY_AFFINITY_ENTRIES_MAX,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${value}`);
  }
}
checkLimits();
