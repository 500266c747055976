/** Arrays carved from shared slabs behave as fresh ones: none overlaps another, and each is a plain Uint8Array. */
import { allocBytes, copyBytes } from '../../raft/byte-slab.js';

test('arrays from the slab never overlap, across slab boundaries, whatever their sizes', () => {
  const arrays: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const size = [0, 1, 7, 8, 9, 145, 4096, 5000][i % 8]!;
    const bytes = allocBytes(size);
    expect(bytes.byteLength).toBe(size);
    bytes.fill(i % 251);
    arrays.push(bytes);
  }
  arrays.forEach((bytes, i) => expect(bytes.every((b) => b === i % 251)).toBe(true));
});

test('a copy is equal, a plain Uint8Array, and shares no byte with the original', () => {
  const original = new Uint8Array([1, 2, 3, 4, 5]);
  const copy = copyBytes(original);
  expect(copy).toStrictEqual(original);
  expect(Object.getPrototypeOf(copy)).toBe(Uint8Array.prototype);
  copy[0] = 99;
  expect(original[0]).toBe(1);
  expect(copyBytes(new Uint8Array(0))).toStrictEqual(new Uint8Array(0));
});
