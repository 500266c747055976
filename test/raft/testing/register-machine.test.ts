/**
 * The register machine of the multi-process tests: writes are validated, applied in
 * order, recorded once per write id, and its snapshot restores the same state (same
 * digest); the digest depends on the state, not on the order writes reached it.
 */
import { RegisterMachine, checkRegisterWrite, decodeRegisterWrite, encodeRegisterWrite } from '../../../raft/testing/register-machine.js';
import type { RegisterWrite } from '../../../raft/testing/register-machine.js';

const entry = (index: number, write: RegisterWrite) => ({ index, term: 1, data: encodeRegisterWrite(write) });

describe('RegisterMachine', () => {
  it('validates writes', () => {
    expect(checkRegisterWrite({ key: 'k', value: '', writeId: 'w' })).toBeNull();
    expect(checkRegisterWrite(null)).toMatch(/JSON object/);
    expect(checkRegisterWrite({ key: '', value: 'v', writeId: 'w' })).toMatch(/key must not be empty/);
    expect(checkRegisterWrite({ key: 'k', value: 1, writeId: 'w' })).toMatch(/value must be a string/);
    expect(checkRegisterWrite({ key: 'k'.repeat(257), value: 'v', writeId: 'w' })).toMatch(/longer than 256/);
    expect(decodeRegisterWrite(new TextEncoder().encode('not json'))).toBeNull();
  });

  it('applies writes in order, returns their indexes, and records each write id once', () => {
    const machine = new RegisterMachine();
    const results = machine.apply([entry(3, { key: 'a', value: '1', writeId: 'w1' }), entry(4, { key: 'a', value: '2', writeId: 'w2' })]);
    expect(results).toEqual([{ index: 3 }, { index: 4 }]);
    machine.apply([entry(5, { key: 'b', value: 'x', writeId: 'w1' })]); // a retried write
    expect(machine.get('a')).toBe('2');
    expect(machine.get('b')).toBe('x');
    expect(machine.appliedWriteIds()).toEqual(['w1', 'w2']);
    expect(machine.digest()).toMatchObject({ lastIndex: 5, keys: 2, writes: 2, restores: 0 });
    expect(() => machine.apply([entry(5, { key: 'a', value: '3', writeId: 'w3' })])).toThrow(/applied after 5/);
  });

  it('counts entries that are not writes without changing the state', () => {
    const machine = new RegisterMachine();
    const before = machine.digest().digest;
    expect(machine.apply([{ index: 1, term: 1, data: new Uint8Array([1, 2, 3]) }])).toEqual([{ index: 1 }]);
    expect(machine.malformedEntries()).toBe(1);
    expect(machine.digest().digest).toBe(before);
  });

  it('restores from its snapshot to the same digest, and reports the restore', () => {
    const source = new RegisterMachine();
    source.apply([entry(1, { key: 'a', value: '1', writeId: 'w1' }), entry(2, { key: 'b', value: '2', writeId: 'w2' })]);
    const restored: number[] = [];
    const copy = new RegisterMachine((index) => restored.push(index));
    copy.restore(source.snapshot(), { index: 7, term: 2 });
    expect(copy.digest().digest).toBe(source.digest().digest);
    expect(copy.digest()).toMatchObject({ lastIndex: 7, restores: 1, writes: 2 });
    expect(restored).toEqual([7]);
    copy.apply([entry(8, { key: 'c', value: '3', writeId: 'w3' })]);
    expect(copy.appliedWriteIds()).toEqual(['w1', 'w2', 'w3']);
  });

  it('digests the state, not the path to it', () => {
    const one = new RegisterMachine();
    one.apply([entry(1, { key: 'a', value: 'old', writeId: 'w1' }), entry(2, { key: 'b', value: '2', writeId: 'w2' }), entry(3, { key: 'a', value: '1', writeId: 'w3' })]);
    const other = new RegisterMachine();
    other.apply([entry(1, { key: 'b', value: '2', writeId: 'w2' }), entry(2, { key: 'a', value: 'x', writeId: 'w3' }), entry(3, { key: 'a', value: '1', writeId: 'w1' })]);
    expect(other.digest().digest).toBe(one.digest().digest);
    other.apply([entry(4, { key: 'a', value: '1', writeId: 'w4' })]);
    expect(other.digest().digest).not.toBe(one.digest().digest);
  });
});
