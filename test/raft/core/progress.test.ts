/**
 * A leader's per-follower flow control: the inflight window and the probe / replicate
 * states of `Progress` (nextIndex / matchIndex of Figure 2, with etcd's refinements).
 */
import { AssertionFailedError } from '../../../raft/core/errors.js';
import { Inflights } from '../../../raft/core/inflights.js';
import { Progress } from '../../../raft/core/progress.js';

describe('Inflights', () => {
  test('fills up to its capacity, frees acknowledged messages in order, and wraps around', () => {
    const inflights = new Inflights(3, 0);
    inflights.add(2, 10);
    inflights.add(4, 10);
    inflights.add(5, 10);
    expect(inflights.full()).toBe(true);
    expect(() => inflights.add(6, 10)).toThrow(AssertionFailedError);
    inflights.freeLE(4);
    expect(inflights.size()).toBe(1);
    inflights.add(7, 10);
    inflights.add(9, 10); // wraps in the ring
    expect(inflights.full()).toBe(true);
    inflights.freeLE(8);
    expect(inflights.size()).toBe(1);
    inflights.freeLE(100);
    expect(inflights.size()).toBe(0);
  });

  test('is full once the byte budget is reached, whatever the count', () => {
    const inflights = new Inflights(10, 100);
    inflights.add(1, 60);
    expect(inflights.full()).toBe(false);
    inflights.add(2, 40);
    expect(inflights.full()).toBe(true);
    inflights.freeLE(1);
    expect(inflights.full()).toBe(false);
  });

  test('indexes must increase', () => {
    const inflights = new Inflights(3, 0);
    inflights.add(5, 1);
    expect(() => inflights.add(5, 1)).toThrow(AssertionFailedError);
  });

  test('freeing below the first message frees nothing; reset empties the window', () => {
    const inflights = new Inflights(3, 0);
    inflights.add(5, 1);
    inflights.freeLE(4);
    expect(inflights.size()).toBe(1);
    inflights.reset();
    expect(inflights.size()).toBe(0);
  });
});

describe('Progress', () => {
  test('probe: one MsgApp with entries pauses it until an answer; an empty one does not', () => {
    const pr = new Progress(5, 4, 0);
    pr.sentEntries(0, 0);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(2, 40);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(5); // probe does not advance next optimistically
    expect(pr.maybeUpdate(6)).toBe(true);
    expect(pr).toMatchObject({ match: 6, next: 7 });
    expect(pr.isPaused()).toBe(false);
  });

  test('replicate: next advances optimistically; paused exactly when the window is full', () => {
    const pr = new Progress(1, 2, 0);
    pr.match = 3;
    pr.becomeReplicate();
    expect(pr.next).toBe(4);
    pr.sentEntries(2, 20);
    expect(pr.next).toBe(6);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 10);
    expect(pr).toMatchObject({ next: 7 });
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(5);
    pr.inflights.freeLE(5);
    expect(pr.isPaused()).toBe(false);
  });

  test('a stale acknowledgement is not news', () => {
    const pr = new Progress(1, 2, 0);
    pr.maybeUpdate(5);
    expect(pr.maybeUpdate(3)).toBe(false);
    expect(pr.match).toBe(5);
  });

  test('probe: a rejection of the last probe moves next to the hint, never below match+1', () => {
    const pr = new Progress(11, 2, 0);
    pr.match = 2;
    expect(pr.maybeDecrTo(9, 3)).toBe(false); // not the outstanding probe (next-1 = 10)
    expect(pr.maybeDecrTo(10, 3)).toBe(true);
    expect(pr.next).toBe(4);
    expect(pr.maybeDecrTo(3, 0)).toBe(true);
    expect(pr.next).toBe(3); // match + 1
  });

  test('replicate: a rejection above match falls back to match+1; one at or below match is stale', () => {
    const pr = new Progress(1, 4, 0);
    pr.match = 5;
    pr.becomeReplicate();
    pr.sentEntries(3, 30);
    expect(pr.maybeDecrTo(5, 0)).toBe(false);
    expect(pr.maybeDecrTo(7, 0)).toBe(true);
    expect(pr.next).toBe(6);
  });

  test('changing state clears the window and the pause', () => {
    const pr = new Progress(1, 1, 0);
    pr.becomeReplicate();
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.isPaused()).toBe(false);
    expect(pr.inflights.size()).toBe(0);
    expect(pr.next).toBe(pr.match + 1);
  });
});
