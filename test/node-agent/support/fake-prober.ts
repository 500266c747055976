/**
 * A prober factory driven by the test: every container attempt's prober is kept, and the
 * test says what its probes found (`ready`, `unhealthy`, …). A container is started at once
 * (no startup probe) unless `holdStartup` names it.
 */
import type { ContainerProber, ContainerProberFactory, ProbeListener, ProbeTarget } from '../../../node-agent/probes/probe-types.js';

export interface FakeProber {
  readonly containerName: string;
  readonly container: Readonly<Record<string, unknown>>;
  readonly target: ProbeTarget;
  readonly listener: ProbeListener;
  started: boolean;
  stopped: boolean;
}

export class FakeProbers {
  readonly probers: FakeProber[] = [];
  /** Containers whose startup is not reported by itself. */
  readonly holdStartup = new Set<string>();

  readonly factory: ContainerProberFactory = (container, target, listener) => {
    const entry: FakeProber = { containerName: String(container.name), container, target, listener, started: false, stopped: false };
    this.probers.push(entry);
    const prober: ContainerProber = {
      start: () => {
        entry.started = true;
        if (!this.holdStartup.has(entry.containerName)) queueMicrotask(() => !entry.stopped && listener.started());
      },
      stop: () => {
        entry.stopped = true;
      },
    };
    return prober;
  };

  /** The latest live prober of the container. */
  latest(containerName: string): FakeProber {
    const found = this.probers.filter((prober) => prober.containerName === containerName && !prober.stopped).at(-1);
    if (found === undefined) throw new Error(`no live prober for ${containerName}`);
    return found;
  }
}
