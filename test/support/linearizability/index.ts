/**
 * A linearizability checker for key-value histories, for chaos tests of the KV cluster.
 *
 * - `HistoryRecorder` records what concurrent clients asked and were answered, on one
 *   monotonic clock; operations never answered stay in with an unknown outcome.
 * - `checkLinearizable(history, { budget })` splits the history per key and searches each
 *   (Wing & Gong with Lowe's memoization), answering `linearizable`, `not-linearizable`
 *   (with a shrunk counterexample) or `unknown` when the budget ran out.
 * - `renderResult` / `renderHistory` print results and operations one per line.
 */

export { checkLinearizable } from './check-linearizable.js';
export type {
  BudgetExhausted,
  CheckBudget,
  CheckOptions,
  CheckStatistics,
  Counterexample,
  KeyVerdict,
  LinearizabilityResult,
  ShrinkOptions,
} from './check-linearizable.js';
export {
  DEFAULT_MAX_MILLISECONDS,
  DEFAULT_MAX_STEPS_PER_KEY,
  DEFAULT_SHRINK_MAX_CHECKS,
  DEFAULT_SHRINK_MAX_STEPS_PER_CHECK,
} from './constants.js';
export { LinearizabilityError } from './errors.js';
export type { LinearizabilityErrorCode } from './errors.js';
export { HistoryRecorder } from './history-recorder.js';
export type { ErrorOutcome, HistoryRecorderOptions } from './history-recorder.js';
export { isOutcomeUnknown } from './operation.js';
export type {
  CasInput,
  CasOutput,
  ClientId,
  DeleteInput,
  DeleteOutput,
  GetInput,
  GetOutput,
  History,
  KvInput,
  KvOutput,
  KvValue,
  Operation,
  PutInput,
  PutOutput,
} from './operation.js';
export { renderHistory, renderOperation, renderResult } from './render-history.js';
export type { RenderOptions } from './render-history.js';
