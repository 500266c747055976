/**
 * The byte layout of bbolt's pages: the page header, the meta page and its checksum, leaf
 * and branch nodes, and the freelist page. Pure encoders and decoders over Buffers; which
 * pages a file holds, and in what order, is `bolt-writer.ts`'s business.
 *
 * A node (one leaf or branch of a B+tree) is written as bbolt writes it: the page header,
 * then one fixed-size element per entry, then each entry's key (and, in a leaf, its value)
 * one after another in element order. An element's `pos` is the distance from the
 * element itself to its key. A node larger than a page runs on into the following pages;
 * the header's `overflow` says how many.
 */
import {
  BOLT_MAGIC,
  BOLT_VERSION,
  BRANCH_ELEMENT_BYTES,
  BRANCH_PAGE_FLAG,
  FREELIST_PAGE_FLAG,
  LEAF_ELEMENT_BYTES,
  LEAF_PAGE_FLAG,
  MAX_PAGE_ELEMENTS,
  META_BYTES,
  META_CHECKSUM_OFFSET,
  META_PAGE_FLAG,
  PAGE_HEADER_BYTES,
} from './constants.js';
import { assert } from './errors.js';

export interface PageHeader {
  /** The page's own id: its offset in the file divided by the page size (0 for an inline bucket's page). */
  readonly id: number;
  readonly flags: number;
  /** Elements in the node (ids in a freelist page). */
  readonly count: number;
  /** Pages after this one that the node also occupies. */
  readonly overflow: number;
}

export function writePageHeader(target: Buffer, at: number, header: PageHeader): void {
  target.writeBigUInt64LE(BigInt(header.id), at);
  target.writeUInt16LE(header.flags, at + 8);
  target.writeUInt16LE(header.count, at + 10);
  target.writeUInt32LE(header.overflow, at + 12);
}

export function readPageHeader(source: Buffer, at: number): PageHeader {
  const id = source.readBigUInt64LE(at);
  return {
    id: id > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(id),
    flags: source.readUInt16LE(at + 8),
    count: source.readUInt16LE(at + 10),
    overflow: source.readUInt32LE(at + 12),
  };
}

// ---------------------------------------------------------------------------------------
// Meta

export interface Meta {
  readonly pageSizeBytes: number;
  readonly flags: number;
  /** The root bucket: the page of its B+tree's root node, and its sequence. */
  readonly rootPageId: number;
  readonly rootSequence: bigint;
  /** The freelist's page, or `NO_FREELIST_PAGE_ID`. */
  readonly freelistPageId: bigint;
  /** Pages in the file (the high water mark): every page id is below it. */
  readonly pageCount: number;
  readonly txid: bigint;
}

const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const U64_MASK = (1n << 64n) - 1n;

/** FNV-1a, 64 bits: the meta page's checksum (over the meta's fields before the checksum). */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = FNV64_OFFSET_BASIS;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & U64_MASK;
  return hash;
}

/** A whole meta page (`pageId` 0 or 1): header, meta fields, checksum, zeros to the page's end. */
export function encodeMetaPage(pageId: 0 | 1, meta: Meta): Buffer {
  const page = Buffer.alloc(meta.pageSizeBytes);
  writePageHeader(page, 0, { id: pageId, flags: META_PAGE_FLAG, count: 0, overflow: 0 });
  const at = PAGE_HEADER_BYTES;
  page.writeUInt32LE(BOLT_MAGIC, at);
  page.writeUInt32LE(BOLT_VERSION, at + 4);
  page.writeUInt32LE(meta.pageSizeBytes, at + 8);
  page.writeUInt32LE(meta.flags, at + 12);
  page.writeBigUInt64LE(BigInt(meta.rootPageId), at + 16);
  page.writeBigUInt64LE(meta.rootSequence, at + 24);
  page.writeBigUInt64LE(meta.freelistPageId, at + 32);
  page.writeBigUInt64LE(BigInt(meta.pageCount), at + 40);
  page.writeBigUInt64LE(meta.txid, at + 48);
  page.writeBigUInt64LE(fnv1a64(page.subarray(at, at + META_CHECKSUM_OFFSET)), at + META_CHECKSUM_OFFSET);
  return page;
}

export type DecodedMeta = { readonly ok: true; readonly meta: Meta } | { readonly ok: false; readonly reason: string };

/** The meta in the page at `at`, checked as bbolt checks it: magic, then version, then checksum. */
export function decodeMeta(source: Buffer, at: number): DecodedMeta {
  if (source.byteLength < at + PAGE_HEADER_BYTES + META_BYTES) return { ok: false, reason: 'file too short for a meta page' };
  const m = at + PAGE_HEADER_BYTES;
  if (source.readUInt32LE(m) !== BOLT_MAGIC) return { ok: false, reason: 'invalid magic' };
  const version = source.readUInt32LE(m + 4);
  if (version !== BOLT_VERSION) return { ok: false, reason: `version ${version} is not ${BOLT_VERSION}` };
  const checksum = source.readBigUInt64LE(m + META_CHECKSUM_OFFSET);
  if (checksum !== 0n && checksum !== fnv1a64(source.subarray(m, m + META_CHECKSUM_OFFSET))) return { ok: false, reason: 'checksum mismatch' };
  const safe = (value: bigint) => (value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value));
  return {
    ok: true,
    meta: {
      pageSizeBytes: source.readUInt32LE(m + 8),
      flags: source.readUInt32LE(m + 12),
      rootPageId: safe(source.readBigUInt64LE(m + 16)),
      rootSequence: source.readBigUInt64LE(m + 24),
      freelistPageId: source.readBigUInt64LE(m + 32),
      pageCount: safe(source.readBigUInt64LE(m + 40)),
      txid: source.readBigUInt64LE(m + 48),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Nodes

/** One entry of a leaf: a key/value pair, or (flags `BUCKET_LEAF_FLAG`) a nested bucket. */
export interface LeafElement {
  readonly flags: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** One entry of a branch: a child node and the first key under it. */
export interface BranchElement {
  readonly key: Uint8Array;
  readonly pageId: number;
}

/** What one leaf entry adds to its node, in bytes. */
export function leafEntryBytes(keyBytes: number, valueBytes: number): number {
  return LEAF_ELEMENT_BYTES + keyBytes + valueBytes;
}

/** What one branch entry adds to its node, in bytes. */
export function branchEntryBytes(keyBytes: number): number {
  return BRANCH_ELEMENT_BYTES + keyBytes;
}

/** A node's bytes (header included) → the pages it occupies. */
export function pagesFor(nodeBytes: number, pageSizeBytes: number): number {
  return Math.max(1, Math.ceil(nodeBytes / pageSizeBytes));
}

/**
 * Writes a leaf node at `at` (`target` must hold `bytes`: the header plus every entry's
 * `leafEntryBytes`). `id` 0 and `overflow` 0 for an inline bucket's page.
 */
export function writeLeafNode(target: Buffer, at: number, id: number, overflow: number, elements: readonly LeafElement[]): void {
  writePageHeader(target, at, { id, flags: LEAF_PAGE_FLAG, count: elements.length, overflow });
  let data = at + PAGE_HEADER_BYTES + elements.length * LEAF_ELEMENT_BYTES;
  elements.forEach((element, i) => {
    const e = at + PAGE_HEADER_BYTES + i * LEAF_ELEMENT_BYTES;
    target.writeUInt32LE(element.flags, e);
    target.writeUInt32LE(data - e, e + 4);
    target.writeUInt32LE(element.key.byteLength, e + 8);
    target.writeUInt32LE(element.value.byteLength, e + 12);
    target.set(element.key, data);
    target.set(element.value, data + element.key.byteLength);
    data += element.key.byteLength + element.value.byteLength;
  });
  assert(data <= target.byteLength, 'leaf node overran its buffer');
}

/** Writes a branch node at `at`, as `writeLeafNode` writes a leaf. */
export function writeBranchNode(target: Buffer, at: number, id: number, overflow: number, elements: readonly BranchElement[]): void {
  writePageHeader(target, at, { id, flags: BRANCH_PAGE_FLAG, count: elements.length, overflow });
  let data = at + PAGE_HEADER_BYTES + elements.length * BRANCH_ELEMENT_BYTES;
  elements.forEach((element, i) => {
    const e = at + PAGE_HEADER_BYTES + i * BRANCH_ELEMENT_BYTES;
    target.writeUInt32LE(data - e, e);
    target.writeUInt32LE(element.key.byteLength, e + 4);
    target.writeBigUInt64LE(BigInt(element.pageId), e + 8);
    target.set(element.key, data);
    data += element.key.byteLength;
  });
  assert(data <= target.byteLength, 'branch node overran its buffer');
}

/** The entries of the leaf node at `at` (subarrays of `source`). Throws RangeError past the end of `source`. */
export function readLeafElements(source: Buffer, at: number, count: number): LeafElement[] {
  const elements: LeafElement[] = [];
  for (let i = 0; i < count; i++) {
    const e = at + PAGE_HEADER_BYTES + i * LEAF_ELEMENT_BYTES;
    const key = e + source.readUInt32LE(e + 4);
    const keyBytes = source.readUInt32LE(e + 8);
    const valueBytes = source.readUInt32LE(e + 12);
    if (key + keyBytes + valueBytes > source.byteLength) throw new RangeError(`leaf element ${i} runs past the end`);
    elements.push({
      flags: source.readUInt32LE(e),
      key: source.subarray(key, key + keyBytes),
      value: source.subarray(key + keyBytes, key + keyBytes + valueBytes),
    });
  }
  return elements;
}

/** The entries of the branch node at `at`. Throws RangeError past the end of `source`. */
export function readBranchElements(source: Buffer, at: number, count: number): BranchElement[] {
  const elements: BranchElement[] = [];
  for (let i = 0; i < count; i++) {
    const e = at + PAGE_HEADER_BYTES + i * BRANCH_ELEMENT_BYTES;
    const key = e + source.readUInt32LE(e);
    const keyBytes = source.readUInt32LE(e + 4);
    const pageId = source.readBigUInt64LE(e + 8);
    if (key + keyBytes > source.byteLength) throw new RangeError(`branch element ${i} runs past the end`);
    elements.push({ key: source.subarray(key, key + keyBytes), pageId: pageId > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(pageId) });
  }
  return elements;
}

// ---------------------------------------------------------------------------------------
// Freelist

/** An empty freelist page: a file written whole has no free pages. */
export function encodeEmptyFreelistPage(pageId: number, pageSizeBytes: number): Buffer {
  const page = Buffer.alloc(pageSizeBytes);
  writePageHeader(page, 0, { id: pageId, flags: FREELIST_PAGE_FLAG, count: 0, overflow: 0 });
  return page;
}

/** The free page ids of the freelist page at `at` (a u16 count; at its maximum the first slot holds the real count). */
export function readFreelistIds(source: Buffer, at: number, header: PageHeader): number[] {
  let count = header.count;
  let first = at + PAGE_HEADER_BYTES;
  if (count === MAX_PAGE_ELEMENTS) {
    count = Number(source.readBigUInt64LE(first));
    first += 8;
  }
  if (first + count * 8 > source.byteLength) throw new RangeError('freelist runs past the end');
  return Array.from({ length: count }, (_, i) => Number(source.readBigUInt64LE(first + i * 8)));
}
