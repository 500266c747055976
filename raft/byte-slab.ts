/**
 * Small byte arrays carved from shared slabs. A fresh `Uint8Array` of a hundred bytes
 * costs a backing store of its own (an allocation outside the heap, tracked by the
 * collector); on the commit path, where every proposal's entry is built once and copied
 * once per follower, that was several times the cost of everything else done with it.
 * A view into a 64 KiB slab costs an object, and the slab goes when its last view goes
 * (as Node's own `Buffer` pool does). Plain `Uint8Array`s, not `Buffer`s: to whoever
 * receives them they are indistinguishable from fresh ones, apart from `.buffer`, which
 * must always be read with `byteOffset` and `byteLength`.
 */

const SLAB_BYTES = 64 * 1024;
/** Larger arrays get their own backing store. */
const MAX_SLAB_ALLOCATION_BYTES = 4 * 1024;
/** Views start at multiples of this, so that a `DataView` over one reads aligned words. */
const ALIGNMENT_BYTES = 8;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** `size` bytes, zero-filled only when the array is not from a slab: write every byte. */
export function allocBytes(size: number): Uint8Array {
  if (size > MAX_SLAB_ALLOCATION_BYTES) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const bytes = new Uint8Array(slab, used, size);
  used += Math.ceil(size / ALIGNMENT_BYTES) * ALIGNMENT_BYTES || ALIGNMENT_BYTES;
  return bytes;
}

/** A copy of `bytes` that shares nothing with it. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = allocBytes(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
