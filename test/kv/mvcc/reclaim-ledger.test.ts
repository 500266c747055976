/**
 * The reclaim ledger: a release says exactly what the revisions it covers made
 * reclaimable (bytes and keys, withdrawn key claims subtracted), once, whether the
 * revisions came in order (live writes) or not (a store rebuilt from a snapshot).
 */
import { createSeededRandom } from '../../../raft/core/random.js';
import { ReclaimLedger } from '../../../kv/mvcc/reclaim-ledger.js';

describe('ReclaimLedger', () => {
  it('releases what each revision made reclaimable, once, with withdrawn key claims taken off', () => {
    const ledger = new ReclaimLedger(-1);
    ledger.add(2, 10, 0);
    ledger.add(3, 5, 1);
    ledger.add(3, 1, 1);
    ledger.add(7, 100, 1);
    ledger.withdrawKey(3);
    expect(ledger.release(1)).toEqual({ bytes: 0, keys: 0 });
    expect(ledger.release(4)).toEqual({ bytes: 16, keys: 1 });
    expect(ledger.release(4)).toEqual({ bytes: 0, keys: 0 });
    ledger.withdrawKey(3); // at or below what is released: already counted, nothing to withdraw
    ledger.add(9, 1, 0);
    expect(ledger.release(9)).toEqual({ bytes: 101, keys: 1 });
  });

  it('matches summing by hand for random amounts, in order or not, across many releases (seeded)', () => {
    for (const ordered of [true, false]) {
      const random = createSeededRandom(ordered ? 7 : 8);
      const ledger = new ReclaimLedger(0);
      const amounts = new Map<number, { bytes: number; keys: number }>();
      const revisions = Array.from({ length: 5000 }, (_, i) => 1 + i + random.int(3));
      if (!ordered) revisions.sort(() => random.float() - 0.5);
      for (const revision of revisions) {
        const bytes = random.int(100);
        const keys = random.int(2);
        ledger.add(revision, bytes, keys);
        const sum = amounts.get(revision) ?? { bytes: 0, keys: 0 };
        amounts.set(revision, { bytes: sum.bytes + bytes, keys: sum.keys + keys });
      }
      let released = 0;
      const got: unknown[] = [];
      const expected: unknown[] = [];
      while (released < 5010) {
        const next = released + 1 + random.int(400);
        let bytes = 0;
        let keys = 0;
        for (const [revision, sum] of amounts) {
          if (revision > released && revision <= next) {
            bytes += sum.bytes;
            keys += sum.keys;
          }
        }
        got.push(ledger.release(next));
        expected.push({ bytes, keys });
        released = next;
      }
      expect(got).toEqual(expected);
    }
  });
});
