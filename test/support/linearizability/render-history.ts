/**
 * Renders operations and check results as stable, readable text: one line per operation,
 *
 *     client 3  put("k1", "v7")                     -> ok              [12.345, 12.901] ms
 *     client 5  get("k1")                           -> "v6"            [13.002, 13.400] ms
 *     client 2  cas("k1", "v6" => "v8")             -> no answer       [13.100, ∞) ms
 *
 * in invocation order, times in milliseconds since `originNs` (by default the earliest
 * invocation shown), so that a counterexample reads like a timeline.
 */

import type { LinearizabilityResult } from './check-linearizable.js';
import type { KvInput, KvOutput, KvValue, Operation } from './operation.js';

const NANOSECONDS_PER_MILLISECOND = 1e6;
const CALL_COLUMN = 36;
const RESULT_COLUMN = 22;

export interface RenderOptions {
  /** The time shown as 0 (ns on the history's clock). Default: the earliest invocation rendered. */
  readonly originNs?: number;
}

/** One line for `operation`: client, call, result, [invocation, return] in ms. */
export function renderOperation(operation: Operation, originNs: number): string {
  const client = `client ${String(operation.clientId)}`.padEnd(10);
  const call = renderInput(operation.input).padEnd(CALL_COLUMN);
  const result = `-> ${renderOutput(operation.output)}`.padEnd(RESULT_COLUMN);
  const start = milliseconds(operation.invokedAtNs - originNs);
  const end = operation.returnedAtNs === Infinity ? '∞)' : `${milliseconds(operation.returnedAtNs - originNs)}]`;
  return `${client} ${call} ${result} [${start}, ${end} ms`;
}

/** The lines of `operations` in invocation order. */
export function renderHistory(operations: readonly Operation[], options: RenderOptions = {}): string {
  const sorted = [...operations].sort((a, b) => a.invokedAtNs - b.invokedAtNs || a.id - b.id);
  const originNs = options.originNs ?? sorted[0]?.invokedAtNs ?? 0;
  return sorted.map((operation) => renderOperation(operation, originNs)).join('\n');
}

/** A summary of `result`, with the counterexample's timeline when there is one. */
export function renderResult(result: LinearizabilityResult, options: RenderOptions = {}): string {
  const { operations, keys, steps, elapsedMs } = result.statistics;
  const summary = `${result.verdict}: ${count(operations, 'operation')} over ${count(keys, 'key')}, ${count(steps, 'search step')}, ${elapsedMs.toFixed(1)} ms`;
  switch (result.verdict) {
    case 'linearizable':
      return summary;
    case 'unknown':
      return `${summary}\nundecided (${result.reason} exhausted): ${result.undecidedKeys.map(quote).join(', ')}`;
    case 'not-linearizable': {
      const example = result.counterexample;
      const size = example.minimal ? 'minimal' : 'shrunk (not proven minimal)';
      return [
        summary,
        `failing keys: ${result.failingKeys.map(quote).join(', ')}`,
        `key ${quote(example.key)}: ${example.operations.length} of its ${example.keyOperations} operations are not linearizable by themselves (${size}):`,
        renderHistory(example.operations, options),
      ].join('\n');
    }
    default:
      return assertNever(result);
  }
}

function renderInput(input: KvInput): string {
  switch (input.kind) {
    case 'get':
      return `get(${quote(input.key)})`;
    case 'put':
      return `put(${quote(input.key)}, ${quote(input.value)})`;
    case 'delete':
      return `delete(${quote(input.key)})`;
    case 'cas':
      return `cas(${quote(input.key)}, ${renderValue(input.expected)} => ${quote(input.value)})`;
    default:
      return assertNever(input);
  }
}

function renderOutput(output: KvOutput | undefined): string {
  if (output === undefined) return 'no answer';
  switch (output.kind) {
    case 'get':
      return renderValue(output.value);
    case 'put':
      return 'ok';
    case 'delete':
      return output.deleted === undefined ? 'ok' : `deleted ${output.deleted}`;
    case 'cas':
      if (output.succeeded) return 'succeeded';
      return output.current === undefined ? 'failed' : `failed, saw ${renderValue(output.current)}`;
    default:
      return assertNever(output);
  }
}

function renderValue(value: KvValue): string {
  return value === null ? 'absent' : quote(value);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function milliseconds(ns: number): string {
  return (ns / NANOSECONDS_PER_MILLISECOND).toFixed(3);
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
