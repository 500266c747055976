/**
 * Membership changes as data (conf-change.ts): the bytes of a conf change entry, and the
 * pure `changeConf` that every node runs when it applies one. A change of at most one
 * voter takes effect in one step (thesis §4.1); a larger one goes through a joint
 * configuration in which the old and new voters must both agree (thesis §4.3), left by
 * an empty change. Learners (non-voting members, thesis §4.2.1) can be added, promoted,
 * demoted and removed.
 */
import {
  changeConf,
  decodeConfChange,
  encodeConfChange,
  isConfStateEqual,
  isJoint,
  membersOf,
} from '../../../raft/core/conf-change.js';
import { InvalidConfChangeError } from '../../../raft/core/errors.js';
import type { ConfChange } from '../../../raft/core/types.js';
import { conf, confChange, thrown } from './fixtures.js';

const THREE = conf([1, 2, 3]);

function expectInvalid(run: () => unknown, detail: RegExp): void {
  const error = thrown(run);
  expect(error).toBeInstanceOf(InvalidConfChangeError);
  expect(error).toMatchObject({ code: 'INVALID_CONF_CHANGE', retryable: false });
  expect((error as InvalidConfChangeError).detail).toMatch(detail);
}

describe('conf change encoding (the payload of a ConfChange entry)', () => {
  test('round-trips every change type and the context', () => {
    const cc: ConfChange = {
      changes: [
        { type: 'add-voter', node: 4 },
        { type: 'add-learner', node: 5 },
        { type: 'remove', node: 3 },
      ],
      context: new TextEncoder().encode('10.0.0.4:2380'),
    };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
  });

  test('round-trips large node ids and an empty change (leave joint); a missing context decodes as empty', () => {
    const big: ConfChange = { changes: [{ type: 'add-voter', node: Number.MAX_SAFE_INTEGER }] };
    expect(decodeConfChange(encodeConfChange(big))).toEqual({ ...big, context: new Uint8Array(0) });
    expect(decodeConfChange(encodeConfChange({ changes: [] }))).toEqual({ changes: [], context: new Uint8Array(0) });
  });

  test('decodes bytes that are a view into a larger buffer (as a transport hands them out)', () => {
    const bytes = encodeConfChange({ changes: [{ type: 'remove', node: 7 }], context: new Uint8Array([1, 2]) });
    const buffer = new Uint8Array(bytes.byteLength + 10).fill(0xee);
    buffer.set(bytes, 5);
    const view = buffer.subarray(5, 5 + bytes.byteLength);
    expect(decodeConfChange(view)).toEqual({ changes: [{ type: 'remove', node: 7 }], context: new Uint8Array([1, 2]) });
  });

  test('the decoded context does not alias the entry’s bytes', () => {
    const bytes = encodeConfChange({ changes: [], context: new Uint8Array([1, 2, 3]) });
    const decoded = decodeConfChange(bytes);
    bytes.fill(0);
    expect(decoded.context).toEqual(new Uint8Array([1, 2, 3]));
  });

  test('a change of more members than the encoding can count is refused when encoding', () => {
    const changes = Array.from({ length: 0x10000 }, (_, i) => ({ type: 'add-learner' as const, node: i + 1 }));
    expectInvalid(() => encodeConfChange({ changes }), /at most 65535 changes/);
    expect(decodeConfChange(encodeConfChange({ changes: changes.slice(1) })).changes).toHaveLength(0xffff);
  });

  describe('malformed bytes are rejected with InvalidConfChangeError', () => {
    const good = (): Uint8Array => encodeConfChange({ changes: [{ type: 'add-voter', node: 4 }], context: new Uint8Array([9]) });

    test('empty or shorter than the header', () => {
      expectInvalid(() => decodeConfChange(new Uint8Array(0)), /too short/);
      expectInvalid(() => decodeConfChange(good().slice(0, 6)), /too short/);
    });

    test('an unknown format version', () => {
      const bytes = good();
      bytes[0] = 2;
      expectInvalid(() => decodeConfChange(bytes), /version 2/);
    });

    test('a change count beyond the bytes present', () => {
      const bytes = good();
      bytes[2] = 3; // three changes announced, one present
      expectInvalid(() => decodeConfChange(bytes), /truncated/);
    });

    test('an unknown change type', () => {
      const bytes = good();
      bytes[3] = 7;
      expectInvalid(() => decodeConfChange(bytes), /unknown change type 7/);
    });

    test('a context length that does not match the bytes (short or trailing garbage)', () => {
      expectInvalid(() => decodeConfChange(good().slice(0, -1)), /length mismatch/);
      const longer = new Uint8Array(good().byteLength + 1);
      longer.set(good());
      expectInvalid(() => decodeConfChange(longer), /length mismatch/);
    });

    test('arbitrary application data (a Normal entry’s payload mistaken for a conf change)', () => {
      expect(() => decodeConfChange(new TextEncoder().encode('put x=1'))).toThrow(InvalidConfChangeError);
    });
  });
});

describe('changeConf: one-step changes of at most one voter (thesis §4.1)', () => {
  test('adding a voter', () => {
    expect(changeConf(THREE, confChange('v4'))).toEqual(conf([1, 2, 3, 4]));
  });

  test('removing a voter', () => {
    expect(changeConf(THREE, confChange('r2'))).toEqual(conf([1, 3]));
  });

  test('adding a learner (voters unchanged)', () => {
    expect(changeConf(THREE, confChange('l4'))).toEqual(conf([1, 2, 3], [4]));
  });

  test('promoting a learner: adding as voter a node that is a learner moves it', () => {
    expect(changeConf(conf([1, 2, 3], [4]), confChange('v4'))).toEqual(conf([1, 2, 3, 4]));
  });

  test('demoting a voter to learner is one voter changed: one step', () => {
    expect(changeConf(THREE, confChange('l3'))).toEqual(conf([1, 2], [3]));
  });

  test('removing a learner', () => {
    expect(changeConf(conf([1, 2, 3], [4, 5]), confChange('r4'))).toEqual(conf([1, 2, 3], [5]));
  });

  test('any number of learner changes with one voter change is still one step', () => {
    expect(changeConf(conf([1, 2, 3], [4]), confChange('l5 l6 r4 v7'))).toEqual(conf([1, 2, 3, 7], [5, 6]));
  });

  test('the result lists are sorted ascending whatever the order of the changes', () => {
    expect(changeConf(conf([7]), confChange('l9 l2'))).toEqual(conf([7], [2, 9]));
    expect(changeConf(conf([7]), confChange('v10'))).toEqual(conf([7, 10]));
  });

  test('the input configuration is not modified', () => {
    const before = conf([1, 2, 3], [4]);
    const copy = structuredClone(before);
    changeConf(before, confChange('v4 r1 v5'));
    changeConf(before, confChange('r2'));
    expect(before).toEqual(copy);
  });
});

describe('changeConf: joint consensus for larger changes (thesis §4.3)', () => {
  test('adding two voters enters a joint configuration: incoming new voters, outgoing the old ones', () => {
    const joint = changeConf(THREE, confChange('v4 v5'));
    expect(joint).toEqual(conf([1, 2, 3, 4, 5], [], [1, 2, 3]));
    expect(isJoint(joint)).toBe(true);
  });

  test('replacing one voter by another is two voter changes: joint', () => {
    expect(changeConf(THREE, confChange('r3 v4'))).toEqual(conf([1, 2, 4], [], [1, 2, 3]));
  });

  test('a voter demoted in a joint change waits in learnersNext (it still votes in the outgoing half)', () => {
    const joint = changeConf(THREE, confChange('l3 v4 v5 l6'));
    expect(joint).toEqual(conf([1, 2, 4, 5], [6], [1, 2, 3], [3]));
    expect(membersOf(joint)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('leaving the joint configuration (an empty change) keeps the incoming voters and makes learnersNext learners', () => {
    const joint = conf([1, 2, 4, 5], [6], [1, 2, 3], [3]);
    const left = changeConf(joint, { changes: [] });
    expect(left).toEqual(conf([1, 2, 4, 5], [3, 6]));
    expect(isJoint(left)).toBe(false);
  });

  test('a removed voter is in neither half once the joint configuration is left', () => {
    const left = changeConf(changeConf(THREE, confChange('r1 r2 v4 v5')), { changes: [] });
    expect(left).toEqual(conf([3, 4, 5]));
    expect(membersOf(left)).toEqual([3, 4, 5]);
  });
});

describe('changeConf: invalid changes are refused with InvalidConfChangeError', () => {
  const joint = conf([1, 2, 4], [], [1, 2, 3]);

  test('any change but leaving while a joint configuration is in force', () => {
    expectInvalid(() => changeConf(joint, confChange('l5')), /joint configuration is in force/);
    expectInvalid(() => changeConf(joint, confChange('v5 v6')), /joint configuration is in force/);
  });

  test('leaving when not in a joint configuration', () => {
    expectInvalid(() => changeConf(THREE, { changes: [] }), /no joint configuration to leave/);
  });

  test('removing (or demoting) every voter', () => {
    expectInvalid(() => changeConf(THREE, confChange('r1 r2 r3')), /no voters/);
    expectInvalid(() => changeConf(conf([1]), confChange('r1')), /no voters/);
    expectInvalid(() => changeConf(conf([1], [2]), confChange('l1')), /no voters/);
  });

  test.each([0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])('node id %p', (node) => {
    expectInvalid(() => changeConf(THREE, { changes: [{ type: 'add-voter', node }] }), /positive integer/);
  });

  test('the same node twice in one change, even with different types', () => {
    expectInvalid(() => changeConf(THREE, confChange('v4 v4')), /appears twice/);
    expectInvalid(() => changeConf(THREE, confChange('l4 v4')), /appears twice/);
  });
});

describe('configuration helpers', () => {
  test('isConfStateEqual compares all four lists', () => {
    expect(isConfStateEqual(conf([1, 2]), conf([1, 2]))).toBe(true);
    expect(isConfStateEqual(conf([1, 2]), conf([1, 2], [3]))).toBe(false);
    expect(isConfStateEqual(conf([1, 2], [], [1]), conf([1, 2]))).toBe(false);
    expect(isConfStateEqual(conf([1], [], [1, 2], [2]), conf([1], [], [1, 2]))).toBe(false);
  });
});
