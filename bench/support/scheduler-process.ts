/**
 * The scheduler under benchmark, in a process of its own as it runs in a cluster (forked
 * by `bench/scheduler.ts`): a `Scheduler` over its own gRPC client and informers, talking
 * to its parent over the IPC channel.
 *
 *   node dist/bench/support/scheduler-process.js --api HOST:PORT [--bind-concurrency N] [--events]
 *
 * Parent → child: `{type: 'stats'}` (answered with `{type: 'stats', stats}`), `{type: 'stop'}`
 * (answered with `{type: 'stopped', stats}`, then the process exits). Child → parent:
 * `{type: 'ready', nodes, pods}` once the informers have listed and scheduling has begun.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EventRecorder } from '../../control-plane/client/event-recorder.js';
import { GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';
import { InformerFactory } from '../../control-plane/client/informer-factory.js';
import { Scheduler } from '../../control-plane/scheduler/index.js';
import type { SchedulerStats } from '../../control-plane/scheduler/index.js';

/** What the child reports: the scheduler's counters and how busy its event loop was. */
export interface SchedulerProcessStats extends SchedulerStats {
  /** Share of the time since start that the event loop was busy (0..1). */
  readonly eventLoopUtilization: number;
}

export type SchedulerProcessMessage =
  | { readonly type: 'ready'; readonly nodes: number; readonly pods: number }
  | { readonly type: 'stats'; readonly stats: SchedulerProcessStats }
  | { readonly type: 'stopped'; readonly stats: SchedulerProcessStats };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { api: { type: 'string' }, 'bind-concurrency': { type: 'string' }, events: { type: 'boolean' } },
    strict: true,
  });
  if (values.api === undefined || process.send === undefined) throw new Error('usage: forked with --api HOST:PORT [--bind-concurrency N] [--events]');
  const send = (message: SchedulerProcessMessage): void => void process.send!(message);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const client = new GrpcApiClient(values.api);
  const informers = new InformerFactory(client, log);
  const scheduler = new Scheduler({
    client,
    informers,
    log,
    ...(values['bind-concurrency'] !== undefined ? { bindConcurrency: Number(values['bind-concurrency']) } : {}),
    // Failed-scheduling events always; a Scheduled event per pod only when asked.
    recorder: new EventRecorder(client, 'default-scheduler', log),
    scheduledEvents: values.events === true,
  });
  const startedUtilization = performance.eventLoopUtilization();
  const stats = (): SchedulerProcessStats => ({ ...scheduler.stats, eventLoopUtilization: performance.eventLoopUtilization(startedUtilization).utilization });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stats') send({ type: 'stats', stats: stats() });
    if (message.type === 'stop') {
      void scheduler.stop().then(() => {
        informers.stop();
        client.close();
        send({ type: 'stopped', stats: stats() });
        process.disconnect();
      });
    }
  });
  // The parent going away (killed, crashed) ends this process too.
  process.on('disconnect', () => process.exit(0));
  await Promise.all([informers.start(), scheduler.start()]);
  send({ type: 'ready', nodes: informers.informer('nodes').size, pods: informers.informer('pods').size });
}

await main();
