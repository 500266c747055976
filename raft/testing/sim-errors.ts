/** How the simulator tells the core's allowed refusals from the core breaking down. */
import { RaftError } from '../core/errors.js';
import type { NodeId } from '../core/types.js';

/**
 * The core refused a request in a way its API allows: a dropped proposal (any reason:
 * no leader, transfer, size limit, not a member, a membership change pending), not the
 * leader, or a membership change that cannot apply to the configuration in force.
 */
export function isRefusal(error: unknown): boolean {
  return (
    error instanceof RaftError &&
    (error.code === 'PROPOSAL_DROPPED' || error.code === 'NOT_LEADER' || error.code === 'INVALID_CONF_CHANGE')
  );
}

/** A short description of a refusal, for traces and counts. */
export function refusalReason(error: unknown): string {
  if (!(error instanceof RaftError)) return 'unknown';
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : error.code.toLowerCase().replaceAll('_', '-');
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
