/**
 * bbolt's on-disk format (go.etcd.io/bbolt 1.3, the version etcd 3.4 ships), as numbers.
 * Every multi-byte integer in a bbolt file is little-endian (bbolt maps its structs onto
 * the file, and etcd runs on little-endian machines). The relationships between the
 * numbers are checked when the module loads.
 */

/** The first field of both meta pages. */
export const BOLT_MAGIC = 0xed0cdaed;
/** The file format version in the meta pages. */
export const BOLT_VERSION = 2;

/** The page size Balsa writes: etcd's (the OS page size on Linux/amd64, recorded in the meta). */
export const DEFAULT_PAGE_SIZE_BYTES = 4096;
/** The smallest page size a file may record (a meta page must fit). */
export const MIN_PAGE_SIZE_BYTES = 1024;

/** Page header: u64 page id, u16 flags, u16 element count, u32 overflow page count. */
export const PAGE_HEADER_BYTES = 16;
/** A leaf element: u32 flags, u32 pos (from the element to its key), u32 key size, u32 value size. */
export const LEAF_ELEMENT_BYTES = 16;
/** A branch element: u32 pos (from the element to its key), u32 key size, u64 child page id. */
export const BRANCH_ELEMENT_BYTES = 16;
/** A bucket's value in its parent: u64 root page id (0: inline), u64 sequence. */
export const BUCKET_HEADER_BYTES = 16;

/**
 * The meta, after the page header: u32 magic, u32 version, u32 page size, u32 flags, the
 * root bucket (u64 root page, u64 sequence), u64 freelist page, u64 page count (the high
 * water mark), u64 transaction id, u64 checksum (FNV-1a 64 of the 56 bytes before it).
 */
export const META_BYTES = 64;
export const META_CHECKSUM_OFFSET = 56;

/** Page flags (u16). */
export const BRANCH_PAGE_FLAG = 0x01;
export const LEAF_PAGE_FLAG = 0x02;
export const META_PAGE_FLAG = 0x04;
export const FREELIST_PAGE_FLAG = 0x10;

/** Leaf element flag (u32): the element is a nested bucket, its value a bucket header. */
export const BUCKET_LEAF_FLAG = 0x01;

/** Pages 0 and 1 are the two meta pages. */
export const META_PAGE_COUNT = 2;
/** The freelist page id that means "no freelist written" (bbolt's NoFreelistSync; etcd 3.4's default). */
export const NO_FREELIST_PAGE_ID = 0xffff_ffff_ffff_ffffn;
/** A page's element count is a u16; a freelist with more ids puts the count in its first slot. */
export const MAX_PAGE_ELEMENTS = 0xffff;

/** bbolt refuses longer keys (MaxKeySize) and larger values (MaxValueSize). */
export const MAX_KEY_BYTES = 32_768;
export const MAX_VALUE_BYTES = 2 ** 31 - 2;

/**
 * A bucket without nested buckets whose whole leaf (page header and elements) takes at
 * most this share of a page is stored inline, in its parent's value (bbolt's rule: a
 * quarter of a page).
 */
export const INLINE_BUCKET_PAGE_FRACTION = 4;

function check(condition: boolean, rule: string): void {
  if (!condition) throw new Error(`kv/backend/bolt constants: ${rule}`);
}

check(PAGE_HEADER_BYTES + META_BYTES <= MIN_PAGE_SIZE_BYTES, 'a meta page must fit the smallest page');
check(DEFAULT_PAGE_SIZE_BYTES >= MIN_PAGE_SIZE_BYTES && DEFAULT_PAGE_SIZE_BYTES % 512 === 0, 'pages are whole 512-byte blocks');
check(META_CHECKSUM_OFFSET + 8 === META_BYTES, 'the checksum is the last meta field');
check(PAGE_HEADER_BYTES <= MIN_PAGE_SIZE_BYTES / INLINE_BUCKET_PAGE_FRACTION, 'an empty bucket is inline');
check(MAX_VALUE_BYTES < 2 ** 32 && MAX_KEY_BYTES < 2 ** 32, 'sizes fit the u32 element fields');
