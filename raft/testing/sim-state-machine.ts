/**
 * A node's application state: the client writes it has applied, in log order. Entries
 * carrying an id already applied are re-proposals of the same write and change nothing
 * (the first apply counts). The "state" a read returns is the applied index.
 */
import type { Entry } from '../core/types.js';
import { NOOP_PAYLOAD, payloadOf } from './command-codec.js';

export interface ApplyResult {
  readonly payload: number;
  /** True the first time this node applied a write with this id (in this incarnation). */
  readonly firstApply: boolean;
}

export class SimStateMachine {
  appliedIndex = 0;
  private readonly appliedIds = new Set<number>();

  apply(entry: Entry): ApplyResult {
    const payload = payloadOf(entry);
    this.appliedIndex = entry.index;
    if (payload === NOOP_PAYLOAD || this.appliedIds.has(payload)) return { payload, firstApply: false };
    this.appliedIds.add(payload);
    return { payload, firstApply: true };
  }

  hasApplied(id: number): boolean {
    return this.appliedIds.has(id);
  }
}
