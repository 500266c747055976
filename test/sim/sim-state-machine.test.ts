/**
 * The simulator's application state and its snapshots: a canonical encoding that
 * restores exactly (applied index, write ids, digest), a digest that tells apart
 * different histories, and membership change entries with a payload identity of their own.
 */
import { encodeConfChange } from '../../raft/core/conf-change.js';
import { EntryType } from '../../raft/core/types.js';
import type { Entry } from '../../raft/core/types.js';
import { NOOP_PAYLOAD, confChangePayload, encodeWrite, payloadOf } from '../../raft/testing/command-codec.js';
import { SimStateMachine, SnapshotDataError } from '../../raft/testing/sim-state-machine.js';

const write = (index: number, id: number): Entry => ({ index, term: 1, type: EntryType.Normal, data: encodeWrite(id) });
const noop = (index: number): Entry => ({ index, term: 1, type: EntryType.Normal, data: new Uint8Array(0) });
const confChange = (index: number, node: number): Entry => ({
  index,
  term: 1,
  type: EntryType.ConfChange,
  data: encodeConfChange({ changes: [{ type: 'add-learner', node }] }),
});

function applyAll(machine: SimStateMachine, entries: readonly Entry[]): void {
  for (const entry of entries) machine.apply(entry);
}

describe('payload identities', () => {
  it('tells writes, no-ops and membership changes apart', () => {
    expect(payloadOf(write(1, 42))).toBe(42);
    expect(payloadOf(noop(1))).toBe(NOOP_PAYLOAD);
    const a = payloadOf(confChange(1, 4));
    expect(a).toBeLessThan(0);
    expect(a).toBe(confChangePayload(encodeConfChange({ changes: [{ type: 'add-learner', node: 4 }] })));
    expect(payloadOf(confChange(1, 5))).not.toBe(a);
  });
});

describe('SimStateMachine', () => {
  const history = [noop(1), write(2, 7), write(3, 3), confChange(4, 4), write(5, 7), write(6, 1000), write(7, 5)];

  it('restores exactly what it encoded, canonically', () => {
    const machine = new SimStateMachine();
    applyAll(machine, history);
    const data = machine.encode();
    const restored = SimStateMachine.restore(data);
    expect(restored.summary).toEqual(machine.summary);
    expect(restored.appliedWriteIds()).toEqual([3, 5, 7, 1000]);
    expect(restored.encode()).toEqual(data);
    // The same history applied elsewhere encodes to the same bytes.
    const twin = new SimStateMachine();
    applyAll(twin, history);
    expect(twin.encode()).toEqual(data);
  });

  it('encodes the same bytes whether or not it encoded before (ids arriving out of order included)', () => {
    const often = new SimStateMachine();
    const once = new SimStateMachine();
    const entries = [write(1, 5), write(2, 9), write(3, 2), write(4, 12), write(5, 7), write(6, 30), write(7, 1)];
    for (const entry of entries) {
      often.apply(entry);
      once.apply(entry);
      often.encode();
    }
    expect(often.encode()).toEqual(once.encode());
    expect(SimStateMachine.restore(often.encode()).appliedWriteIds()).toEqual([1, 2, 5, 7, 9, 12, 30]);
  });

  it('goes on from a restored state exactly as the original does', () => {
    const original = new SimStateMachine();
    applyAll(original, history.slice(0, 4));
    const restored = SimStateMachine.restore(original.encode());
    for (const entry of history.slice(4)) {
      expect(restored.apply(entry)).toEqual(original.apply(entry));
    }
    expect(restored.apply(write(8, 7)).firstApply).toBe(false);
  });

  it('digests different histories differently', () => {
    const a = new SimStateMachine();
    const b = new SimStateMachine();
    applyAll(a, [noop(1), write(2, 7), write(3, 8)]);
    applyAll(b, [noop(1), write(2, 8), write(3, 7)]);
    expect(a.appliedIndex).toBe(b.appliedIndex);
    expect(a.digest).not.toBe(b.digest);
  });

  it('refuses data it did not write', () => {
    const data = new SimStateMachine().encode();
    expect(() => SimStateMachine.restore(new Uint8Array([1, 2, 3]))).toThrow(SnapshotDataError);
    expect(() => SimStateMachine.restore(data.subarray(0, data.byteLength - 1))).toThrow(SnapshotDataError);
    expect(() => SimStateMachine.restore(new Uint8Array([...data, 0]))).toThrow(SnapshotDataError);
  });
});
