/** How the simulator tells the core's allowed refusals from the core breaking down. */
import { RaftError } from '../core/errors.js';
import type { NodeId } from '../core/types.js';

/** The core refused a request in a way its API allows; the caller may retry later. */
export function isRefusal(error: unknown): boolean {
  return error instanceof RaftError && (error.code === 'PROPOSAL_DROPPED' || error.code === 'NOT_LEADER');
}

/** The core threw where its API does not allow it (an assertion, most likely). */
export class CoreThrewError extends Error {
  constructor(
    readonly node: NodeId,
    readonly during: string,
    readonly original: unknown,
  ) {
    super(`n${node} core threw during ${during}: ${original instanceof Error ? original.message : String(original)}`);
    this.name = 'CoreThrewError';
  }
}
