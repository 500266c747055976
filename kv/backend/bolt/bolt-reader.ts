/**
 * Reads a whole bbolt file held in memory: the meta in use, every top-level bucket with
 * its entries in key order, and the problems bbolt's own consistency check (`tx.Check`,
 * which `etcdctl snapshot status` runs first) would report, plus a few it does not look
 * for (keys out of order, a branch key that is not its child's first key).
 *
 * It reads what bbolt writes, not only what `bolt-writer.ts` writes: inline buckets,
 * overflow pages, freed pages, an explicit freelist or none (etcd 3.4 writes none and
 * bbolt finds the free pages by elimination). The file may carry bytes after its last
 * page (etcd's SHA-256 trailer): they are ignored.
 */
import {
  BRANCH_PAGE_FLAG,
  BUCKET_HEADER_BYTES,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE_BYTES,
  FREELIST_PAGE_FLAG,
  LEAF_PAGE_FLAG,
  META_PAGE_COUNT,
  MIN_PAGE_SIZE_BYTES,
  NO_FREELIST_PAGE_ID,
} from './constants.js';
import { BoltCorruptError } from './errors.js';
import { decodeMeta, readBranchElements, readFreelistIds, readLeafElements, readPageHeader } from './page-format.js';
import type { Meta, PageHeader } from './page-format.js';

export interface BoltReadEntry {
  readonly key: Buffer;
  readonly value: Buffer;
  /** A nested bucket (its value is the raw bucket header and inline page, if any). */
  readonly isBucket: boolean;
}

export interface BoltReadBucket {
  readonly name: Buffer;
  /** In key order. Subarrays of the file: copy what outlives it. */
  readonly entries: readonly BoltReadEntry[];
}

export interface BoltDatabase {
  /** The meta bbolt would open: the valid one with the higher transaction id. */
  readonly meta: Meta;
  /** Top-level buckets, in name order. */
  readonly buckets: readonly BoltReadBucket[];
  /** What is wrong with the file, one line each (empty for a sound file), as far as it could be read. */
  readonly problems: readonly string[];
}

/** Throws `BoltCorruptError` when neither meta page is valid; anything else lands in `problems`. */
export function readBoltFile(bytes: Uint8Array): BoltDatabase {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = chooseMeta(file);
  const reader = new TreeReader(file, meta);
  const buckets = reader.readBuckets();
  reader.checkEveryPageAccountedFor();
  return { meta, buckets, problems: reader.problems };
}

/** The meta bbolt opens: page 0 tells the page size; of the valid metas, the higher txid wins. */
function chooseMeta(file: Buffer): Meta {
  const first = decodeMeta(file, 0);
  const pageSizeBytes = first.ok ? first.meta.pageSizeBytes : DEFAULT_PAGE_SIZE_BYTES;
  if (pageSizeBytes < MIN_PAGE_SIZE_BYTES) throw new BoltCorruptError(`page size ${pageSizeBytes}`);
  const second = decodeMeta(file, pageSizeBytes);
  const valid = [first, second].flatMap((m) => (m.ok ? [m.meta] : []));
  if (valid.length === 0) {
    throw new BoltCorruptError(`no valid meta page (0: ${first.ok ? 'ok' : first.reason}; 1: ${second.ok ? 'ok' : second.reason})`);
  }
  const meta = valid.reduce((a, b) => (b.txid > a.txid ? b : a));
  if (meta.pageSizeBytes !== pageSizeBytes) throw new BoltCorruptError(`meta pages disagree on the page size`);
  if (meta.pageCount * pageSizeBytes > file.byteLength) throw new BoltCorruptError(`${meta.pageCount} pages of ${pageSizeBytes} bytes do not fit in ${file.byteLength} bytes`);
  return meta;
}

class TreeReader {
  readonly problems: string[] = [];
  /** Pages in use (metas, freelist, nodes and their overflow). */
  private readonly reachable = new Set<number>();
  private readonly freed = new Set<number>();
  /** No freelist written: bbolt counts every page no tree reaches as free. */
  private freeByElimination = false;

  constructor(
    private readonly file: Buffer,
    private readonly meta: Meta,
  ) {
    for (let id = 0; id < META_PAGE_COUNT; id++) this.reachable.add(id);
    this.readFreelist();
  }

  readBuckets(): BoltReadBucket[] {
    const buckets: BoltReadBucket[] = [];
    for (const entry of this.readTree(this.meta.rootPageId, 'the root bucket')) {
      if (!entry.isBucket) {
        this.problems.push(`the root bucket holds a key that is not a bucket: 0x${entry.key.toString('hex')}`);
        continue;
      }
      buckets.push({ name: entry.key, entries: this.readBucketValue(entry.value, `bucket ${entry.key.toString('latin1')}`) });
    }
    return buckets;
  }

  /** Pages below the high water mark must be in use or free (bbolt: "unreachable unfreed"). */
  checkEveryPageAccountedFor(): void {
    if (this.freeByElimination) return;
    for (let id = 0; id < this.meta.pageCount; id++) {
      if (!this.reachable.has(id) && !this.freed.has(id)) this.problems.push(`page ${id}: unreachable unfreed`);
    }
  }

  private readFreelist(): void {
    if (this.meta.freelistPageId === NO_FREELIST_PAGE_ID) {
      this.freeByElimination = true;
      return;
    }
    const id = Number(this.meta.freelistPageId);
    const header = this.header(id, 'the freelist');
    if (header === null) return;
    if ((header.flags & FREELIST_PAGE_FLAG) === 0) this.problems.push(`page ${id}: the freelist page has flags 0x${header.flags.toString(16)}`);
    for (let i = 0; i <= header.overflow; i++) this.reachable.add(id + i);
    try {
      for (const free of readFreelistIds(this.file, id * this.meta.pageSizeBytes, header)) {
        if (this.freed.has(free)) this.problems.push(`page ${free}: already freed`);
        this.freed.add(free);
      }
    } catch (error) {
      this.problems.push(`page ${id}: ${(error as Error).message}`);
    }
  }

  private readBucketValue(value: Buffer, what: string): BoltReadEntry[] {
    if (value.byteLength < BUCKET_HEADER_BYTES) {
      this.problems.push(`${what}: bucket header of ${value.byteLength} bytes`);
      return [];
    }
    const root = value.readBigUInt64LE(0);
    if (root !== 0n) return this.readTree(Number(root), what);
    // Inline: the value holds the bucket's only leaf, as a page with id 0.
    const page = value.subarray(BUCKET_HEADER_BYTES);
    try {
      const header = readPageHeader(page, 0);
      if ((header.flags & LEAF_PAGE_FLAG) === 0) {
        this.problems.push(`${what}: inline page has flags 0x${header.flags.toString(16)}`);
        return [];
      }
      const entries = readLeafElements(page, 0, header.count).map(toEntry);
      this.checkOrder(entries.map((e) => e.key), what);
      return entries;
    } catch (error) {
      this.problems.push(`${what}: inline page: ${(error as Error).message}`);
      return [];
    }
  }

  /** The entries under the node at `pageId`, in order, checking each page as bbolt's check does. */
  private readTree(pageId: number, what: string): BoltReadEntry[] {
    const entries: BoltReadEntry[] = [];
    this.readNode(pageId, what, entries, null);
    this.checkOrder(entries.map((e) => e.key), what);
    return entries;
  }

  private readNode(pageId: number, what: string, into: BoltReadEntry[], expectedFirstKey: Buffer | null): void {
    const header = this.header(pageId, what);
    if (header === null) return;
    if (header.id !== pageId) this.problems.push(`page ${pageId}: its header says page ${header.id}`);
    let seen = false;
    for (let i = 0; i <= header.overflow; i++) {
      if (this.reachable.has(pageId + i)) {
        this.problems.push(`page ${pageId + i}: multiple references`);
        seen = true;
      }
      this.reachable.add(pageId + i);
    }
    // A page met twice is not read twice: a branch that points back up would never end.
    if (seen) return;
    if (this.freed.has(pageId)) this.problems.push(`page ${pageId}: reachable freed`);
    if ((pageId + header.overflow + 1) * this.meta.pageSizeBytes > this.file.byteLength || pageId + header.overflow >= this.meta.pageCount) {
      this.problems.push(`page ${pageId}: out of bounds: ${this.meta.pageCount}`);
      return;
    }
    const at = pageId * this.meta.pageSizeBytes;
    try {
      if ((header.flags & LEAF_PAGE_FLAG) !== 0) {
        const leaf = readLeafElements(this.file, at, header.count).map(toEntry);
        if (expectedFirstKey !== null && (leaf.length === 0 || !leaf[0]!.key.equals(expectedFirstKey))) {
          this.problems.push(`page ${pageId}: its first key is not its branch key 0x${expectedFirstKey.toString('hex')}`);
        }
        into.push(...leaf);
      } else if ((header.flags & BRANCH_PAGE_FLAG) !== 0) {
        const children = readBranchElements(this.file, at, header.count);
        if (children.length === 0) this.problems.push(`page ${pageId}: empty branch`);
        if (expectedFirstKey !== null && children.length > 0 && !Buffer.from(children[0]!.key).equals(expectedFirstKey)) {
          this.problems.push(`page ${pageId}: its first key is not its branch key 0x${expectedFirstKey.toString('hex')}`);
        }
        for (const child of children) this.readNode(child.pageId, what, into, Buffer.from(child.key.buffer, child.key.byteOffset, child.key.byteLength));
      } else {
        this.problems.push(`page ${pageId}: invalid type: flags 0x${header.flags.toString(16)}`);
      }
    } catch (error) {
      this.problems.push(`page ${pageId}: ${(error as Error).message}`);
    }
  }

  private header(pageId: number, what: string): PageHeader | null {
    if (!Number.isSafeInteger(pageId) || pageId < 0 || pageId >= this.meta.pageCount) {
      this.problems.push(`${what}: page ${pageId}: out of bounds: ${this.meta.pageCount}`);
      return null;
    }
    return readPageHeader(this.file, pageId * this.meta.pageSizeBytes);
  }

  private checkOrder(keys: readonly Buffer[], what: string): void {
    for (let i = 1; i < keys.length; i++) {
      if (Buffer.compare(keys[i - 1]!, keys[i]!) >= 0) {
        this.problems.push(`${what}: key 0x${keys[i]!.toString('hex')} is not after 0x${keys[i - 1]!.toString('hex')}`);
        return;
      }
    }
  }
}

function toEntry(element: { flags: number; key: Uint8Array; value: Uint8Array }): BoltReadEntry {
  return {
    key: element.key as Buffer,
    value: element.value as Buffer,
    isBucket: (element.flags & BUCKET_LEAF_FLAG) !== 0,
  };
}
