/**
 * bbolt files: a streaming writer (`planBoltFile`) and an in-memory reader with bbolt's
 * consistency checks (`readBoltFile`). Named exports only.
 */
export { planBoltFile } from './bolt-writer.js';
export type { BoltBucketSource, BoltEntry, BoltFile, BoltFileOptions } from './bolt-writer.js';
export { readBoltFile } from './bolt-reader.js';
export type { BoltDatabase, BoltReadBucket, BoltReadEntry } from './bolt-reader.js';
export { BoltError, BoltInputError, BoltCorruptError, BoltAssertionError } from './errors.js';
export type { BoltErrorCode } from './errors.js';
export { DEFAULT_PAGE_SIZE_BYTES } from './constants.js';
