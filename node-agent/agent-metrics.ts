/**
 * The node agent's series, under the kubelet's names (and kube-state-metrics' for restarts)
 * so that node dashboards read a Balsa node: `kubelet_running_pods`,
 * `kubelet_running_containers{container_state}`, `prober_probe_total{probe_type,result,...}`
 * and `kube_pod_container_status_restarts_total{namespace,pod,container}`. Served at
 * `/metrics` on the agent's port (beside the logs endpoint).
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ProbeKind } from './probes/probe-types.js';

/** One container of a pod the agent runs, as the gauges count it. */
export interface ContainerSample {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly running: boolean;
  readonly restartCount: number;
}

/** The kubelet's probe results. */
export type ProbeResultLabel = 'successful' | 'failed' | 'unknown';

export class AgentMetrics {
  private readonly probes: Counter;
  private containers: () => readonly ContainerSample[] = () => [];

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.probes = new Counter({
      name: 'prober_probe_total',
      help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
      labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace'],
      registers,
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the gauges' collect callbacks are called with the gauge as `this`
    const metrics = this;
    new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running container.',
      registers,
      collect(this: Gauge) {
        this.set(new Set(metrics.containers().filter((c) => c.running).map((c) => `${c.namespace}/${c.pod}`)).size);
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: 'Number of containers currently running.',
      labelNames: ['container_state'],
      registers,
      collect(this: Gauge) {
        this.set({ container_state: 'running' }, metrics.containers().filter((c) => c.running).length);
      },
    });
    new Gauge({
      name: 'kube_pod_container_status_restarts_total',
      help: 'The number of container restarts per container.',
      labelNames: ['namespace', 'pod', 'container'],
      registers,
      collect(this: Gauge) {
        // Only the containers the agent runs now: a pod gone takes its series with it.
        this.reset();
        for (const c of metrics.containers()) this.set({ namespace: c.namespace, pod: c.pod, container: c.container }, c.restartCount);
      },
    });
  }

  /** The gauges read the agent's containers from `containers` when scraped. */
  observe(containers: () => readonly ContainerSample[]): void {
    this.containers = containers;
  }

  probed(kind: ProbeKind, result: ProbeResultLabel, where: { readonly namespace: string; readonly pod: string; readonly container: string }): void {
    this.probes.inc({ probe_type: probeType(kind), result, ...where });
  }
}

/** The kubelet's probe_type values. */
function probeType(kind: ProbeKind): string {
  return kind === 'liveness' ? 'Liveness' : kind === 'readiness' ? 'Readiness' : 'Startup';
}
