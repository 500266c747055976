/**
 * The probes' defaults and limits in one place. Durations of the spec are in seconds (as
 * the pod spec gives them); everything else is in milliseconds or bytes as named.
 */

/** Kubernetes' defaults for a probe's timings and thresholds, applied to fields the spec leaves out. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

/**
 * The most of an HTTP probe's response body read before the attempt is judged (the
 * kubelet's 10 KiB): a server streaming an endless body cannot hold the probe past it.
 */
export const HTTP_PROBE_BODY_BYTES_MAX = 10 * 1024;

/**
 * The `User-Agent` of HTTP and gRPC probes. It starts with `kube-probe/` because apps and
 * proxies commonly recognise probe traffic by that prefix (to keep it out of access logs).
 */
export const PROBE_USER_AGENT = 'kube-probe/balsa';

/** The longest message a probe attempt reports (an exec probe's output is cut to it): it ends up in an Event. */
export const PROBE_MESSAGE_CHARS_MAX = 1024;

/** The most of a gRPC health response read (the answer is a few bytes; more is not a health server). */
export const GRPC_PROBE_RESPONSE_BYTES_MAX = 4 * 1024;

/** The gRPC health checking protocol's method (grpc.health.v1). */
export const GRPC_HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

if (PROBE_DEFAULTS.timeoutSeconds < 1 || PROBE_DEFAULTS.periodSeconds < 1) {
  throw new Error('probe defaults: the timeout and the period must be at least 1 s');
}
if (PROBE_DEFAULTS.successThreshold < 1 || PROBE_DEFAULTS.failureThreshold < 1) {
  throw new Error('probe defaults: the thresholds must be at least 1');
}
