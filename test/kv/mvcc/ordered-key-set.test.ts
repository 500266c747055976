/**
 * The ordered key set (the MVCC index's B+tree): the same answers as a plain sorted
 * array for any mix of adds, deletes and scans, through splits, merges and the root
 * growing and shrinking.
 */
import { createSeededRandom } from '../../../raft/core/random.js';
import type { SeededRandom } from '../../../raft/core/random.js';
import { KEY_SET_NODE_CAPACITY } from '../../../kv/mvcc/constants.js';
import { OrderedKeySet } from '../../../kv/mvcc/ordered-key-set.js';

/** The reference: a sorted array, O(n) per change. */
class SortedArraySet {
  readonly keys: string[] = [];

  add(key: string): boolean {
    const at = this.lowerBound(key);
    if (this.keys[at] === key) return false;
    this.keys.splice(at, 0, key);
    return true;
  }

  delete(key: string): boolean {
    const at = this.lowerBound(key);
    if (this.keys[at] !== key) return false;
    this.keys.splice(at, 1);
    return true;
  }

  from(lower: string): string[] {
    return this.keys.slice(this.lowerBound(lower));
  }

  private lowerBound(key: string): number {
    let at = 0;
    while (at < this.keys.length && this.keys[at]! < key) at++;
    return at;
  }
}

/** Keys of 0–4 bytes over a small alphabet (with 0x00 and 0xff), so that many collide. */
function randomKey(random: SeededRandom): string {
  const alphabet = '\u0000ab\u00ff';
  let key = '';
  const length = random.int(5);
  for (let i = 0; i < length; i++) key += alphabet[random.int(alphabet.length)];
  return key;
}

function take<T>(iterable: Iterable<T>, count: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length === count) break;
    out.push(item);
  }
  return out;
}

describe('OrderedKeySet', () => {
  it('starts empty', () => {
    const set = new OrderedKeySet();
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
    expect([...set.from('a')]).toEqual([]);
    expect(set.delete('a')).toBe(false);
  });

  it('keeps keys in bytewise order, once each', () => {
    const set = new OrderedKeySet();
    for (const key of ['b', 'a', '\u00ff', '', 'ab', 'a']) set.add(key);
    expect([...set]).toEqual(['', 'a', 'ab', 'b', '\u00ff']);
    expect(set.size).toBe(5);
    expect(set.has('ab')).toBe(true);
    expect(set.has('aa')).toBe(false);
    expect([...set.from('aa')]).toEqual(['ab', 'b', '\u00ff']);
  });

  it('matches a sorted array through random adds, deletes and scans (seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = createSeededRandom(seed);
      const set = new OrderedKeySet();
      const reference = new SortedArraySet();
      // Grow past several levels, then shrink to almost nothing, then grow again.
      const phases = [{ steps: 6000, addChance: 0.8 }, { steps: 8000, addChance: 0.2 }, { steps: 3000, addChance: 0.7 }];
      for (const { steps, addChance } of phases) {
        // Answers are collected and compared once per phase (an expect per step is slow).
        const answers: unknown[] = [];
        const expected: unknown[] = [];
        for (let step = 0; step < steps; step++) {
          const key = randomKey(random) + randomKey(random);
          if (random.chance(addChance)) {
            answers.push(set.add(key));
            expected.push(reference.add(key));
          } else {
            answers.push(set.delete(key));
            expected.push(reference.delete(key));
          }
          answers.push(set.size);
          expected.push(reference.keys.length);
          if (step % 97 === 0) {
            const lower = randomKey(random);
            answers.push(take(set.from(lower), 50), set.has(key));
            expected.push(reference.from(lower).slice(0, 50), reference.keys.includes(key));
          }
        }
        expect(answers).toEqual(expected);
        expect([...set]).toEqual(reference.keys);
      }
    }
  });

  it('stays correct when keys arrive in order and leave in order (splits and merges at one edge)', () => {
    const set = new OrderedKeySet();
    const count = KEY_SET_NODE_CAPACITY ** 2 * 3;
    const keys = Array.from({ length: count }, (_, i) => i.toString().padStart(8, '0'));
    for (const key of keys) set.add(key);
    expect([...set]).toEqual(keys);
    for (let i = 0; i < count - 1; i++) {
      expect(set.delete(keys[i]!)).toBe(true);
      if (i % 1000 === 0) expect(set.from(keys[i]!).next().value).toBe(keys[i + 1]);
    }
    expect([...set]).toEqual([keys.at(-1)]);
    for (const key of keys.slice().reverse()) set.add(key);
    expect([...set]).toEqual(keys);
    for (const key of keys.slice().reverse()) set.delete(key);
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
  });
});
