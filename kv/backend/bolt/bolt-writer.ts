/**
 * Writes a whole bbolt database — top-level buckets of key/value pairs — as a stream of
 * pages, without holding it in memory: what etcd's `snapshot save` receives, built from
 * data Balsa keeps elsewhere.
 *
 * `planBoltFile` walks every bucket's entries once to lay the file out (which entries go
 * in which leaf, the branch levels above them, every page id), because the meta pages at
 * the front of the file name the root page and the page count. `pages()` then walks the
 * entries a second time and produces the pages in file order. Memory: the layout (a few
 * numbers and the first key of each node) plus one node at a time.
 *
 * The file, page by page:
 *
 *   0, 1   the meta pages (identical but for the transaction id: bbolt opens the higher)
 *   2      an empty freelist (every page is in use)
 *   ...    each bucket that is not inline, in name order: its leaves in key order, then
 *          its branch levels from the bottom up (the top one is the bucket's root)
 *   ...    the root bucket's nodes (one leaf per bucket name; its root is the meta's root)
 *
 * Leaves are filled up to a page: an entry starts a new leaf when it would not fit in the
 * current one, so only a leaf holding a single large entry overflows into more pages. A
 * branch entry's key is the first key of its child, as bbolt writes them. A bucket whose
 * single leaf takes at most a quarter of a page is stored inline in the root bucket, as
 * bbolt stores small buckets (etcd's `meta`, `alarm`, `cluster`, ... usually are).
 */
import {
  BUCKET_HEADER_BYTES,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE_BYTES,
  INLINE_BUCKET_PAGE_FRACTION,
  MAX_KEY_BYTES,
  MAX_PAGE_ELEMENTS,
  MAX_VALUE_BYTES,
  META_PAGE_COUNT,
  MIN_PAGE_SIZE_BYTES,
  PAGE_HEADER_BYTES,
} from './constants.js';
import { assert, BoltInputError } from './errors.js';
import {
  branchEntryBytes,
  encodeEmptyFreelistPage,
  encodeMetaPage,
  leafEntryBytes,
  pagesFor,
  writeBranchNode,
  writeLeafNode,
} from './page-format.js';
import type { BranchElement, LeafElement, Meta } from './page-format.js';

export interface BoltEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A top-level bucket to write. */
export interface BoltBucketSource {
  readonly name: Uint8Array;
  /**
   * The bucket's entries in strictly ascending bytewise key order. Called at least twice
   * (to plan the file, then for each `pages()`), and must yield the same entries each time.
   */
  entries(): Iterable<BoltEntry>;
}

export interface BoltFileOptions {
  /** Default `DEFAULT_PAGE_SIZE_BYTES` (etcd's). A multiple of 512, at least `MIN_PAGE_SIZE_BYTES`. */
  readonly pageSizeBytes?: number;
}

/** A planned file: its size, and its bytes on demand. */
export interface BoltFile {
  readonly pageSizeBytes: number;
  /** Pages in the file (the meta's high water mark). */
  readonly pageCount: number;
  /** `pageCount × pageSizeBytes`. */
  readonly sizeBytes: number;
  /**
   * The file's bytes in order: each meta page, the freelist page, then each node (a
   * Buffer of its 1 + overflow pages). Every call starts from the beginning and walks the
   * buckets' entries again. Throws `BoltAssertionError` if they differ from the plan's.
   */
  pages(): Generator<Buffer>;
}

/** The freelist's page: right after the two metas. */
const FREELIST_PAGE_ID = META_PAGE_COUNT;
const FIRST_DATA_PAGE_ID = FREELIST_PAGE_ID + 1;

/** Where one node goes: its entry count, size, first key and pages. */
interface NodePlan {
  readonly count: number;
  readonly bytes: number;
  readonly firstKey: Uint8Array;
  pageId: number;
  readonly pages: number;
}

/** A bucket's B+tree: leaves, then branch levels bottom-up (the last level holds the root alone). */
interface TreePlan {
  readonly leaves: readonly NodePlan[];
  readonly branchLevels: readonly (readonly NodePlan[])[];
}

type BucketPlan =
  | { readonly kind: 'inline'; readonly source: BoltBucketSource; readonly value: Buffer }
  | { readonly kind: 'tree'; readonly source: BoltBucketSource; readonly tree: TreePlan };

/**
 * Lays out a file holding `buckets` (in any order; names must differ). Throws
 * `BoltInputError` for entries out of order, an empty or oversized key, an oversized value.
 */
export function planBoltFile(buckets: readonly BoltBucketSource[], options: BoltFileOptions = {}): BoltFile {
  const pageSizeBytes = options.pageSizeBytes ?? DEFAULT_PAGE_SIZE_BYTES;
  if (!Number.isSafeInteger(pageSizeBytes) || pageSizeBytes < MIN_PAGE_SIZE_BYTES || pageSizeBytes % 512 !== 0) {
    throw new BoltInputError(`page size ${pageSizeBytes} is not a multiple of 512 of at least ${MIN_PAGE_SIZE_BYTES}`);
  }
  const sorted = [...buckets].sort((a, b) => Buffer.compare(a.name, b.name));
  sorted.forEach((bucket, i) => {
    checkKey(bucket.name, 'bucket name');
    if (i > 0 && Buffer.compare(sorted[i - 1]!.name, bucket.name) === 0) throw new BoltInputError(`two buckets named ${printable(bucket.name)}`);
  });

  let nextPageId = FIRST_DATA_PAGE_ID;
  const assign = (tree: TreePlan): void => {
    for (const node of [...tree.leaves, ...tree.branchLevels.flat()]) {
      node.pageId = nextPageId;
      nextPageId += node.pages;
    }
  };
  const plans: BucketPlan[] = sorted.map((source) => {
    const leaves = packLeaves(source.entries(), pageSizeBytes, printable(source.name));
    if (leaves.length === 1 && leaves[0]!.bytes <= pageSizeBytes / INLINE_BUCKET_PAGE_FRACTION) {
      return { kind: 'inline', source, value: inlineBucketValue(source, leaves[0]!) };
    }
    const tree = { leaves, branchLevels: packBranches(leaves, pageSizeBytes) };
    assign(tree);
    return { kind: 'tree', source, tree };
  });
  // The root bucket: one entry per bucket, its value the bucket's header (and inline page).
  const rootElements: LeafElement[] = plans.map((plan) => ({
    flags: BUCKET_LEAF_FLAG,
    key: plan.source.name,
    value: plan.kind === 'inline' ? plan.value : bucketHeader(rootOf(plan.tree).pageId),
  }));
  const rootLeaves = packLeaves(rootElements, pageSizeBytes, 'the root bucket');
  const rootTree: TreePlan = { leaves: rootLeaves, branchLevels: packBranches(rootLeaves, pageSizeBytes) };
  assign(rootTree);

  const meta: Omit<Meta, 'txid'> = {
    pageSizeBytes,
    flags: 0,
    rootPageId: rootOf(rootTree).pageId,
    rootSequence: 0n,
    freelistPageId: BigInt(FREELIST_PAGE_ID),
    pageCount: nextPageId,
  };
  return {
    pageSizeBytes,
    pageCount: nextPageId,
    sizeBytes: nextPageId * pageSizeBytes,
    *pages() {
      // Page i holds transaction i, as in a new bbolt file: the next commit overwrites the older.
      yield encodeMetaPage(0, { ...meta, txid: 0n });
      yield encodeMetaPage(1, { ...meta, txid: 1n });
      yield encodeEmptyFreelistPage(FREELIST_PAGE_ID, pageSizeBytes);
      for (const plan of plans) {
        if (plan.kind === 'tree') yield* writeTree(plan.tree, plan.source.entries(), 0, pageSizeBytes);
      }
      yield* writeTree(rootTree, rootElements, BUCKET_LEAF_FLAG, pageSizeBytes);
    },
  };
}

function rootOf(tree: TreePlan): NodePlan {
  const top = tree.branchLevels.at(-1) ?? tree.leaves;
  assert(top.length === 1, () => `a tree's top level has ${top.length} nodes`);
  return top[0]!;
}

function bucketHeader(rootPageId: number): Buffer {
  const header = Buffer.alloc(BUCKET_HEADER_BYTES);
  header.writeBigUInt64LE(BigInt(rootPageId), 0);
  return header; // sequence 0
}

/** An inline bucket's value: a header with root 0, then its leaf as a page with id 0. */
function inlineBucketValue(source: BoltBucketSource, leaf: NodePlan): Buffer {
  const elements = [...source.entries()].map((entry) => ({ flags: 0, key: entry.key, value: entry.value }));
  assert(elements.length === leaf.count, () => `bucket ${printable(source.name)} changed while planned`);
  const value = Buffer.alloc(BUCKET_HEADER_BYTES + leaf.bytes);
  writeLeafNode(value, BUCKET_HEADER_BYTES, 0, 0, elements);
  return value;
}

/**
 * Packs entries into leaves (checking order and sizes); at least one leaf, empty for an
 * empty bucket.
 */
function packLeaves(entries: Iterable<BoltEntry>, pageSizeBytes: number, bucket: string): NodePlan[] {
  const packer = new NodePacker(pageSizeBytes);
  let previous: Uint8Array | null = null;
  for (const { key, value } of entries) {
    checkKey(key, `key in bucket ${bucket}`);
    if (value.byteLength > MAX_VALUE_BYTES) throw new BoltInputError(`value of ${value.byteLength} bytes in bucket ${bucket} is over ${MAX_VALUE_BYTES}`);
    if (previous !== null && Buffer.compare(previous, key) >= 0) {
      throw new BoltInputError(`keys of bucket ${bucket} are not in ascending order: ${printable(key)} after ${printable(previous)}`);
    }
    packer.add(key, leafEntryBytes(key.byteLength, value.byteLength));
    previous = key;
  }
  return packer.finish();
}

/** The branch levels above `leaves`, bottom-up, until one node is the root (none above a single leaf). */
function packBranches(leaves: readonly NodePlan[], pageSizeBytes: number): NodePlan[][] {
  const levels: NodePlan[][] = [];
  let level: readonly NodePlan[] = leaves;
  while (level.length > 1) {
    const packer = new NodePacker(pageSizeBytes);
    for (const child of level) packer.add(child.firstKey, branchEntryBytes(child.firstKey.byteLength));
    const next = packer.finish();
    levels.push(next);
    level = next;
  }
  return levels;
}

/** Fills nodes in order: an entry that would not fit in the current node's page starts the next node. */
class NodePacker {
  private readonly nodes: NodePlan[] = [];
  private count = 0;
  private bytes = PAGE_HEADER_BYTES;
  private firstKey: Uint8Array = new Uint8Array(0);

  constructor(private readonly pageSizeBytes: number) {}

  add(key: Uint8Array, entryBytes: number): void {
    if (this.count > 0 && (this.bytes + entryBytes > this.pageSizeBytes || this.count === MAX_PAGE_ELEMENTS)) this.close();
    if (this.count === 0) this.firstKey = key;
    this.count++;
    this.bytes += entryBytes;
  }

  finish(): NodePlan[] {
    if (this.count > 0 || this.nodes.length === 0) this.close();
    return this.nodes;
  }

  private close(): void {
    this.nodes.push({ count: this.count, bytes: this.bytes, firstKey: this.firstKey, pageId: -1, pages: pagesFor(this.bytes, this.pageSizeBytes) });
    this.count = 0;
    this.bytes = PAGE_HEADER_BYTES;
    this.firstKey = new Uint8Array(0);
  }
}

/** The nodes of `tree` in page order, filled from `entries` (which must be those planned). */
function* writeTree(tree: TreePlan, entries: Iterable<BoltEntry>, flags: number, pageSizeBytes: number): Generator<Buffer> {
  const iterator = entries[Symbol.iterator]();
  for (const leaf of tree.leaves) {
    const elements: LeafElement[] = [];
    let bytes = PAGE_HEADER_BYTES;
    for (let i = 0; i < leaf.count; i++) {
      const next = iterator.next();
      assert(next.done !== true, 'a bucket has fewer entries than planned');
      const { key, value } = next.value;
      elements.push({ flags, key, value });
      bytes += leafEntryBytes(key.byteLength, value.byteLength);
    }
    assert(bytes === leaf.bytes && (leaf.count === 0 || Buffer.compare(elements[0]!.key, leaf.firstKey) === 0), 'a leaf differs from its plan');
    const node = Buffer.alloc(leaf.pages * pageSizeBytes);
    writeLeafNode(node, 0, leaf.pageId, leaf.pages - 1, elements);
    yield node;
  }
  assert(iterator.next().done === true, 'a bucket has more entries than planned');
  let children: readonly NodePlan[] = tree.leaves;
  for (const level of tree.branchLevels) {
    let child = 0;
    for (const branch of level) {
      const elements: BranchElement[] = children.slice(child, child + branch.count).map((c) => ({ key: c.firstKey, pageId: c.pageId }));
      child += branch.count;
      const node = Buffer.alloc(branch.pages * pageSizeBytes);
      writeBranchNode(node, 0, branch.pageId, branch.pages - 1, elements);
      yield node;
    }
    assert(child === children.length, 'a branch level does not cover the level below');
    children = level;
  }
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.byteLength === 0) throw new BoltInputError(`empty ${what}`);
  if (key.byteLength > MAX_KEY_BYTES) throw new BoltInputError(`${what} of ${key.byteLength} bytes is over ${MAX_KEY_BYTES}`);
}

/** A key for a message: its text when printable ASCII, else hex. */
function printable(key: Uint8Array): string {
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return /^[\x20-\x7e]*$/.test(text.toString('latin1')) ? JSON.stringify(text.toString('latin1')) : `0x${text.toString('hex')}`;
}
