/**
 * A prober that runs no probes: the container counts as started and ready as soon as it
 * runs (what a container without probes gets). The agent uses it until the probes package
 * provides the real `ContainerProberFactory`; tests of the agent inject their own.
 */
import type { ContainerProberFactory } from './probes/probe-types.js';

export const unprobedProberFactory: ContainerProberFactory = (_container, _target, listener) => {
  let stopped = false;
  return {
    start() {
      // Asynchronously, as a real prober reports: the worker is not re-entered from within `start`.
      queueMicrotask(() => {
        if (stopped) return;
        listener.started();
        listener.readinessChanged(true);
      });
    },
    stop() {
      stopped = true;
    },
  };
};
