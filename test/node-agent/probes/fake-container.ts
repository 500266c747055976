/**
 * A container for prober tests on the virtual clock: its exec probes answer from a script
 * per command (the command's first word), it counts attempts and how many overlap, and a
 * listener that writes what the prober says as `time event` lines.
 */
import type { ExecResult, PortMapping } from '../../../node-agent/runtime/container-runtime.js';
import type { ProbeKind, ProbeListener, ProbeTarget } from '../../../node-agent/probes/probe-types.js';
import type { VirtualClock } from './virtual-clock.js';

/**
 * One answer of a scripted command: exit 0, exit 1, killed at the timeout as a runtime
 * does (`timeout`), never answered (`never`), the runtime could not run it (`refused`:
 * the exec rejects), or an answer after `afterMs`.
 */
export type Answer = 'ok' | 'fail' | 'timeout' | 'never' | 'refused' | { readonly afterMs: number; readonly answer: 'ok' | 'fail' };

export class FakeContainer implements ProbeTarget {
  readonly host = '127.0.0.1';
  readonly ports: readonly PortMapping[] = [];
  /** Every exec: `time command`. */
  readonly calls: string[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly scripts = new Map<string, Answer[]>();

  constructor(private readonly clock: VirtualClock) {}

  /** `command` answers these in turn, the last one forever after. */
  script(command: string, ...answers: Answer[]): this {
    this.scripts.set(command, answers);
    return this;
  }

  /** The times (in s) `command` was run. */
  callTimes(command: string): number[] {
    return this.calls.filter((call) => call.endsWith(` ${command}`)).map((call) => Number.parseFloat(call));
  }

  exec(command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const name = command[0]!;
    this.calls.push(`${seconds(this.clock)} ${name}`);
    const answers = this.scripts.get(name);
    if (answers === undefined || answers.length === 0) throw new Error(`no script for ${name}`);
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (answer === 'refused') return Promise.reject(new Error('container not found'));
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<ExecResult>((resolve) => {
      const answerAfter = (delayMs: number, result: ExecResult): void => {
        this.clock.schedule(delayMs, () => {
          this.inFlight -= 1;
          resolve(result);
        });
      };
      if (answer === 'never') return;
      if (answer === 'timeout') answerAfter(timeoutMs, { exitCode: 124, output: '', timedOut: true });
      else if (typeof answer === 'object') answerAfter(answer.afterMs, execResult(name, answer.answer));
      else answerAfter(0, execResult(name, answer));
    });
  }
}

function execResult(name: string, answer: 'ok' | 'fail'): ExecResult {
  return answer === 'ok' ? { exitCode: 0, output: `${name} fine\n`, timedOut: false } : { exitCode: 1, output: `${name} says no\n`, timedOut: false };
}

/** Writes each listener call as a line `time event`, time in seconds on the virtual clock. */
export class RecordingListener implements ProbeListener {
  readonly events: string[] = [];
  /** Called after each event is written (a test may stop the prober from inside a call). */
  onEvent: (event: string) => void = () => {};

  constructor(private readonly clock: VirtualClock) {}

  readinessChanged(ready: boolean): void {
    this.write(ready ? 'ready' : 'unready');
  }

  started(): void {
    this.write('started');
  }

  unhealthy(kind: 'liveness' | 'startup', message: string): void {
    this.write(`unhealthy ${kind}: ${message}`);
  }

  probeFailed(kind: ProbeKind, message: string): void {
    this.write(`${kind} failed: ${message}`);
  }

  private write(event: string): void {
    const line = `${seconds(this.clock)} ${event}`;
    this.events.push(line);
    this.onEvent(line);
  }
}

function seconds(clock: VirtualClock): string {
  return `${clock.now() / 1000}s`;
}

/** An exec probe running `command`, with the given timings and thresholds. */
export function execProbe(command: string, fields: Record<string, number> = {}): Record<string, unknown> {
  return { exec: { command: [command] }, ...fields };
}
