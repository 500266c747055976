/**
 * The bbolt writer: what it writes reads back (with `readBoltFile`, whose checks are
 * bbolt's `tx.Check` and more) to exactly the buckets given, for small buckets (inline),
 * large ones (leaves, branch levels, overflow pages) and deep trees; the layout is the one
 * described in `bolt-writer.ts`; bad input is refused; and the file streams page by page.
 * That real bbolt (in etcdctl) accepts these files is proved in
 * `test/kv/server/etcdctl-snapshot.test.ts`.
 */
import { createHash } from 'node:crypto';
import { BoltAssertionError, BoltInputError, planBoltFile, readBoltFile } from '../../../../kv/backend/bolt/index.js';
import type { BoltBucketSource, BoltEntry } from '../../../../kv/backend/bolt/index.js';
import { encodeMetaPage, readBranchElements, readLeafElements, readPageHeader } from '../../../../kv/backend/bolt/page-format.js';

/** A deterministic generator (xorshift), so that every run writes the same files. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function bucket(name: string, entries: BoltEntry[]): BoltBucketSource {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key));
  return { name: Buffer.from(name), entries: () => sorted };
}

/** `count` entries with distinct keys of `keyBytes` and values of up to `maxValueBytes`. */
function entries(count: number, keyBytes: number, maxValueBytes: number, seed = 1): BoltEntry[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const key = Buffer.alloc(keyBytes, 0x61);
    key.writeUInt32BE(i, Math.max(0, keyBytes - 4));
    return { key, value: Buffer.alloc(Math.floor(next() * (maxValueBytes + 1)), i % 251) };
  });
}

function fileOf(buckets: BoltBucketSource[], pageSizeBytes?: number): Buffer {
  const file = planBoltFile(buckets, { pageSizeBytes });
  const pages = [...file.pages()];
  const bytes = Buffer.concat(pages);
  expect(bytes.byteLength).toBe(file.sizeBytes);
  expect(file.sizeBytes).toBe(file.pageCount * file.pageSizeBytes);
  for (const page of pages) expect(page.byteLength % file.pageSizeBytes).toBe(0);
  return bytes;
}

function expectReadsBack(bytes: Buffer, buckets: BoltBucketSource[]): void {
  const db = readBoltFile(bytes);
  expect(db.problems).toEqual([]);
  const expected = [...buckets].sort((a, b) => Buffer.compare(a.name, b.name));
  expect(db.buckets.map((b) => b.name.toString())).toEqual(expected.map((b) => Buffer.from(b.name).toString()));
  db.buckets.forEach((read, i) => {
    const want = [...expected[i]!.entries()];
    expect(read.entries.length).toBe(want.length);
    read.entries.forEach((entry, j) => {
      expect(entry.isBucket).toBe(false);
      expect(entry.key.equals(want[j]!.key)).toBe(true);
      expect(entry.value.equals(want[j]!.value)).toBe(true);
    });
  });
}

/** Every node page of the file: id, header and elements. */
function nodes(bytes: Buffer, pageSizeBytes = 4096) {
  const found = [];
  for (let id = 3; id * pageSizeBytes < bytes.byteLength; ) {
    const header = readPageHeader(bytes, id * pageSizeBytes);
    const at = id * pageSizeBytes;
    const leaf = header.flags === 2;
    found.push({ id, header, leaf, elements: leaf ? readLeafElements(bytes, at, header.count) : readBranchElements(bytes, at, header.count) });
    id += header.overflow + 1;
  }
  return found;
}

test('no buckets: metas, freelist and an empty root leaf', () => {
  const bytes = fileOf([]);
  expect(bytes.byteLength).toBe(4 * 4096);
  const db = readBoltFile(bytes);
  expect(db.problems).toEqual([]);
  expect(db.buckets).toEqual([]);
  // bbolt opens the meta with the higher transaction id; both name the same tree.
  expect(db.meta).toMatchObject({ pageSizeBytes: 4096, rootPageId: 3, freelistPageId: 2n, pageCount: 4, txid: 1n });
});

test('small buckets are stored inline in the root leaf, as bbolt stores them', () => {
  const buckets = [bucket('meta', entries(3, 16, 8)), bucket('empty', []), bucket('alarm', entries(1, 13, 0))];
  const bytes = fileOf(buckets);
  expect(bytes.byteLength).toBe(4 * 4096); // nothing but the root leaf after the freelist
  expectReadsBack(bytes, buckets);
  const [root] = nodes(bytes);
  expect(root!.elements.map((e) => Buffer.from(e.key).toString())).toEqual(['alarm', 'empty', 'meta']);
  // An empty inline bucket: a 16-byte header with root 0, then an empty leaf page (bbolt: 32 bytes).
  expect(Buffer.from((root!.elements[1] as { value: Uint8Array }).value)).toEqual(Buffer.from('00'.repeat(24) + '0200000000000000', 'hex'));
});

test('a bucket over a quarter page gets pages of its own; leaves are filled up to a page', () => {
  const small = bucket('small', entries(35, 4, 8)); // at most 16 + 35 × 28 = 996 bytes: inline
  const over = bucket('over', entries(37, 4, 8).map((e) => ({ ...e, value: Buffer.alloc(8) }))); // 16 + 37 × 28 = 1052 bytes
  const big = bucket('key', entries(2_000, 17, 120));
  const bytes = fileOf([small, over, big]);
  expectReadsBack(bytes, [small, over, big]);
  const db = readBoltFile(bytes);
  const [rootLeaf] = nodes(bytes).filter((n) => n.id === db.meta.rootPageId);
  const rootOf = (name: string) => Buffer.from((rootLeaf!.elements.find((e) => Buffer.from(e.key).toString() === name) as { value: Uint8Array }).value).readBigUInt64LE(0);
  expect(rootOf('small')).toBe(0n);
  expect(rootOf('over')).not.toBe(0n);
  expect(rootOf('key')).not.toBe(0n);
  const keyLeaves = nodes(bytes).filter((n) => n.leaf && n.elements.length > 0 && n.elements[0]!.key.byteLength === 17);
  // Every leaf but the last could not take its next entry.
  const keyEntries = [...big.entries()];
  let index = 0;
  keyLeaves.forEach((leaf, i) => {
    index += leaf.header.count;
    const used = 16 + leaf.elements.reduce((sum, e) => sum + 16 + e.key.byteLength + (e as { value: Uint8Array }).value.byteLength, 0);
    expect(used).toBeLessThanOrEqual(4096);
    if (i < keyLeaves.length - 1) expect(used + 16 + 17 + keyEntries[index]!.value.byteLength).toBeGreaterThan(4096);
  });
  expect(index).toBe(2_000);
});

test('deep trees: several branch levels, each branch key its child’s first key', () => {
  // Long keys on small pages: few entries per branch, so the tree grows tall quickly.
  const tall = bucket('tall', entries(3_000, 300, 40, 7));
  const bytes = fileOf([tall], 1024);
  expectReadsBack(bytes, [tall]);
  const branches = nodes(bytes, 1024).filter((n) => !n.leaf);
  expect(branches.length).toBeGreaterThan(100);
  // Depth: follow first children from the bucket's root down to a leaf.
  const db = readBoltFile(bytes);
  const rootLeaf = readLeafElements(bytes, db.meta.rootPageId * 1024, 1)[0]!;
  let page = Number(Buffer.from(rootLeaf.value).readBigUInt64LE(0));
  let depth = 1;
  while (readPageHeader(bytes, page * 1024).flags === 1) {
    page = readBranchElements(bytes, page * 1024, 1)[0]!.pageId;
    depth++;
  }
  expect(depth).toBeGreaterThanOrEqual(4);
});

test('an entry larger than a page has a leaf of its own that overflows into the next pages', () => {
  const values = [Buffer.alloc(100, 1), Buffer.alloc(10_000, 2), Buffer.alloc(100, 3), Buffer.alloc(1_500_000, 4)];
  const large = bucket('large', values.map((value, i) => ({ key: Buffer.from(`k${i}`), value })));
  const bytes = fileOf([large]);
  expectReadsBack(bytes, [large]);
  const leaves = nodes(bytes).filter((n) => n.leaf && n.elements.some((e) => (e as { value: Uint8Array }).value.byteLength > 0));
  const overflowing = leaves.filter((n) => n.header.overflow > 0);
  expect(overflowing.map((n) => [n.header.count, n.header.overflow])).toEqual([
    [1, 2], // 16 + 16 + 2 + 10000 bytes: 3 pages
    [1, Math.ceil((16 + 16 + 2 + 1_500_000) / 4096) - 1],
  ]);
});

test('the file streams one node at a time, the same bytes on every pass', () => {
  const big = bucket('key', entries(5_000, 17, 200, 3));
  const file = planBoltFile([big]);
  let largest = 0;
  const first = createHash('sha256');
  for (const page of file.pages()) {
    largest = Math.max(largest, page.byteLength);
    first.update(page);
  }
  expect(largest).toBe(4096);
  const second = createHash('sha256');
  for (const page of file.pages()) second.update(page);
  expect(second.digest('hex')).toBe(first.digest('hex'));
});

test('bad input is refused before anything is written', () => {
  const plan = (buckets: BoltBucketSource[], pageSizeBytes?: number) => () => planBoltFile(buckets, { pageSizeBytes });
  const raw = (name: string, list: BoltEntry[]): BoltBucketSource => ({ name: Buffer.from(name), entries: () => list });
  const kv = (key: string, value = '') => ({ key: Buffer.from(key), value: Buffer.from(value) });
  expect(plan([raw('b', [kv('b'), kv('a')])])).toThrow(new BoltInputError('keys of bucket "b" are not in ascending order: "a" after "b"'));
  expect(plan([raw('b', [kv('a'), kv('a')])])).toThrow(BoltInputError);
  expect(plan([raw('b', [kv('')])])).toThrow(new BoltInputError('empty key in bucket "b"'));
  expect(plan([raw('b', [{ key: Buffer.alloc(32_769), value: Buffer.alloc(0) }])])).toThrow(BoltInputError);
  expect(plan([raw('b', []), raw('b', [])])).toThrow(new BoltInputError('two buckets named "b"'));
  expect(plan([raw('', [])])).toThrow(BoltInputError);
  expect(plan([], 1000)).toThrow(BoltInputError);
  try {
    plan([raw('b', [kv('b'), kv('a')])])();
  } catch (error) {
    expect(error).toMatchObject({ code: 'BOLT_INVALID_INPUT', retryable: false });
  }
});

test('entries that change between the plan and the write are caught, not written', () => {
  let calls = 0;
  const shifty: BoltBucketSource = {
    name: Buffer.from('key'),
    entries: () => entries(calls++ === 0 ? 500 : 499, 17, 100),
  };
  const file = planBoltFile([shifty]);
  expect(() => [...file.pages()]).toThrow(BoltAssertionError);
});

describe('the reader finds what bbolt’s check finds', () => {
  const buckets = [bucket('key', entries(300, 17, 100)), bucket('meta', entries(2, 8, 8))];
  const sound = () => Buffer.from(fileOf(buckets));

  test('a damaged meta page: the other one is used; both damaged: refused', () => {
    const bytes = sound();
    bytes[4096 + 16 + 40]! ^= 1; // meta 1 (the newer) loses its checksum
    const db = readBoltFile(bytes);
    expect(db.meta.txid).toBe(0n);
    expect(db.problems).toEqual([]);
    bytes[16 + 40]! ^= 1;
    expect(() => readBoltFile(bytes)).toThrow('no valid meta page');
  });

  test('a page nothing refers to is "unreachable unfreed"', () => {
    const bytes = Buffer.concat([sound(), Buffer.alloc(4096)]);
    // Grow the high water mark in both metas by one page (and fix their checksums by rewriting them).
    const db = readBoltFile(bytes);
    const grown = Buffer.from(bytes);
    for (const id of [0, 1] as const) encodeMetaPage(id, { ...db.meta, pageCount: db.meta.pageCount + 1, txid: BigInt(id) }).copy(grown, id * 4096);
    expect(readBoltFile(grown).problems).toEqual([`page ${db.meta.pageCount}: unreachable unfreed`]);
  });

  test('a branch that points back at itself is reported, not followed forever', () => {
    const bytes = sound();
    const [branch] = nodes(bytes).filter((n) => !n.leaf);
    bytes.writeBigUInt64LE(BigInt(branch!.id), branch!.id * 4096 + 16 + 8); // its first child: itself
    const problems = readBoltFile(bytes).problems;
    expect(problems).toContain(`page ${branch!.id}: multiple references`);
    expect(problems.some((p) => p.endsWith('unreachable unfreed'))).toBe(true); // the leaf it no longer reaches
  });

  test('a leaf with its keys swapped, and a page of the wrong type', () => {
    const bytes = sound();
    const [first] = nodes(bytes).filter((n) => n.leaf && n.header.count > 2);
    const at = first!.id * 4096 + 16;
    // Swap the first two elements' pos fields (and fix them up for their new places).
    const pos0 = bytes.readUInt32LE(at + 4);
    const pos1 = bytes.readUInt32LE(at + 16 + 4);
    bytes.writeUInt32LE(pos1 + 16, at + 4);
    bytes.writeUInt32LE(pos0 - 16, at + 16 + 4);
    expect(readBoltFile(bytes).problems.some((p) => p.includes('is not after'))).toBe(true);
    bytes.writeUInt16LE(0x10, first!.id * 4096 + 8);
    expect(readBoltFile(bytes).problems).toContain(`page ${first!.id}: invalid type: flags 0x10`);
  });
});
