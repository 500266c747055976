/**
 * Majority arithmetic (§5.2 votes, §5.3 commitment) and joint consensus (thesis §4.3:
 * both halves of a joint configuration must agree).
 */
import { jointCommitted, jointVoteResult, majorityCommitted, majorityVoteResult } from '../../../raft/core/quorum.js';

const matches = (m: Record<number, number>) => (id: number) => m[id] ?? 0;
const votes = (v: Record<number, boolean>) => (id: number) => v[id];

describe('majorityCommitted', () => {
  test.each([
    [[1], { 1: 5 }, 5],
    [[1, 2, 3], { 1: 5, 2: 3, 3: 1 }, 3],
    [[1, 2, 3], { 1: 5 }, 0],
    [[1, 2, 3, 4], { 1: 5, 2: 5, 3: 2, 4: 1 }, 2], // 4 voters need 3
    [[1, 2, 3, 4, 5], { 1: 9, 2: 8, 3: 7, 4: 1, 5: 1 }, 7],
  ])('voters %j with matches %j → %i', (ids, m, expected) => {
    expect(majorityCommitted(new Set(ids), matches(m))).toBe(expected);
  });

  test('an empty voter set agrees to everything', () => {
    expect(majorityCommitted(new Set(), matches({}))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('majorityVoteResult', () => {
  test.each([
    [[1, 2, 3], { 1: true, 2: true }, 'won'],
    [[1, 2, 3], { 1: true }, 'pending'],
    [[1, 2, 3], { 1: true, 2: false }, 'pending'],
    [[1, 2, 3], { 1: true, 2: false, 3: false }, 'lost'],
    [[1, 2, 3, 4], { 1: true, 2: true }, 'pending'], // a tie is not a majority
    [[1, 2, 3, 4], { 1: true, 2: true, 3: false, 4: false }, 'lost'],
    [[], {}, 'won'],
  ])('voters %j votes %j → %s', (ids, v, expected) => {
    expect(majorityVoteResult(new Set(ids), votes(v))).toBe(expected);
  });
});

describe('joint configurations', () => {
  const joint = { incoming: new Set([1, 2, 3]), outgoing: new Set([3, 4, 5]) };

  test('commit is the smaller of the two majorities', () => {
    expect(jointCommitted(joint, matches({ 1: 9, 2: 9, 3: 4, 4: 2, 5: 1 }))).toBe(2);
  });

  test('a vote needs both halves; losing either loses', () => {
    expect(jointVoteResult(joint, votes({ 1: true, 2: true }))).toBe('pending');
    expect(jointVoteResult(joint, votes({ 1: true, 2: true, 3: true }))).toBe('pending'); // 1 of 3 outgoing
    expect(jointVoteResult(joint, votes({ 1: true, 3: true, 4: true }))).toBe('won');
    expect(jointVoteResult(joint, votes({ 1: true, 2: true, 4: false, 5: false }))).toBe('lost');
  });

  test('an empty outgoing half acts like the incoming half alone', () => {
    const simple = { incoming: new Set([1, 2, 3]), outgoing: new Set<number>() };
    expect(jointCommitted(simple, matches({ 1: 4, 2: 3, 3: 1 }))).toBe(3);
    expect(jointVoteResult(simple, votes({ 1: true, 2: true }))).toBe('won');
  });
});
