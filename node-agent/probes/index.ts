/** The node agent's probes: the prober of a container attempt, and the pieces it is made of. */
export { createContainerProber, makeContainerProberFactory } from './container-prober.js';
export type { ContainerProberOptions } from './container-prober.js';
export { PROBE_DEFAULTS } from './constants.js';
export { realProbeClock } from './probe-clock.js';
export type { ProbeClock } from './probe-clock.js';
export { runProbe } from './probe-handlers.js';
export type { ProbeRunner } from './probe-handlers.js';
export { resolveProbePort } from './probe-port.js';
export type { ResolvedPort } from './probe-port.js';
export type { AttemptContext, ProbeOutcome, ProbeResult } from './probe-result.js';
export { readContainerProbe } from './probe-spec.js';
export type { ProbeHandler, ProbeHeader, ProbeSpec } from './probe-spec.js';
export type { ContainerProber, ContainerProberFactory, ProbeKind, ProbeListener, ProbeTarget } from './probe-types.js';
