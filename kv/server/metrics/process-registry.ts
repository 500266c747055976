/**
 * The registry of one Balsa process: every layer it runs registers there, and every
 * `/metrics` it serves answers from it. With the `process_*` and `nodejs_*` series
 * (CPU, memory, open file descriptors, event-loop lag), as etcd and the Kubernetes
 * components serve their process's.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
