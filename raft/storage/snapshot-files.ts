/**
 * Snapshot data as files in one directory, one file per snapshot (`<index>-<term>.snap`,
 * both zero-padded). A file is written under a temporary name, synced, renamed into
 * place and the directory synced, so that a file under its final name is always
 * complete; only then may a durable record point to it. A file that is no longer the
 * current snapshot is deleted once no reader has it open, since a transfer to a follower
 * must be able to finish on the snapshot it started with.
 */
import { closeSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../core/errors.js';
import type { SnapshotMetadata } from '../core/types.js';
import type { SnapshotChunk, SnapshotReader } from './log-storage.js';
import { StorageCorruptError } from '../core/errors.js';

const SNAPSHOT_SUFFIX = '.snap';
const TEMPORARY_SUFFIX = '.tmp';
/** Digits of the zero-padded index and term: Number.MAX_SAFE_INTEGER has 16. */
const NAME_DIGITS = 16;

export class SnapshotFiles {
  /** Open readers per file name. */
  private readonly readerCounts = new Map<string, number>();
  /** Files no longer current, deleted when their last reader closes. */
  private readonly retired = new Set<string>();

  private constructor(readonly directory: string) {}

  /** Use `directory` (created if missing) for snapshot files. */
  static async open(directory: string): Promise<SnapshotFiles> {
    await mkdir(directory, { recursive: true });
    return new SnapshotFiles(directory);
  }

  /** The file name for the snapshot at `index` of `term`. */
  static fileName(index: number, term: number): string {
    return `${pad(index)}-${pad(term)}${SNAPSHOT_SUFFIX}`;
  }

  /**
   * Write `data` durably as `name`: to a temporary file, synced, renamed, and the
   * directory synced so that the rename itself survives a crash. Overwrites a file left
   * by an earlier attempt under the same name (it was never recorded).
   */
  async write(name: string, data: Uint8Array): Promise<void> {
    const temporary = join(this.directory, name + TEMPORARY_SUFFIX);
    const file = await open(temporary, 'w');
    try {
      let written = 0;
      while (written < data.byteLength) {
        const { bytesWritten } = await file.write(data, written, data.byteLength - written);
        written += bytesWritten;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.directory, name));
    await this.syncDirectory();
  }

  /**
   * Delete every file but `keep` (the current snapshot's, or `null` for none): temporary
   * files of interrupted writes and snapshots written but never recorded or superseded
   * before a crash. For use at open, before any reader exists. Returns the names removed.
   */
  async removeAllBut(keep: string | null): Promise<string[]> {
    assert(this.readerCounts.size === 0, 'snapshot files cleaned with readers open');
    const names = await readdir(this.directory);
    if (keep !== null && !names.includes(keep)) throw new StorageCorruptError(`snapshot file ${join(this.directory, keep)} is missing`);
    const removed = names.filter((name) => name !== keep);
    for (const name of removed) await rm(join(this.directory, name), { force: true, recursive: true });
    return removed;
  }

  /** Open `name` for reading in chunks; the file is kept until the reader is closed. */
  openReader(name: string, metadata: SnapshotMetadata): SnapshotReader {
    const fd = openSync(join(this.directory, name), 'r');
    let sizeBytes: number;
    try {
      sizeBytes = fstatSync(fd).size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.readerCounts.set(name, (this.readerCounts.get(name) ?? 0) + 1);
    let closed = false;
    return {
      metadata,
      read: (offset: number, maxBytes: number): SnapshotChunk => {
        assert(!closed, 'read from a closed snapshot reader');
        assert(offset >= 0 && offset <= sizeBytes && maxBytes >= 1, () => `snapshot read at ${offset} of ${sizeBytes}`);
        const end = Math.min(sizeBytes, offset + maxBytes);
        const data = new Uint8Array(end - offset);
        let done = 0;
        while (done < data.byteLength) {
          const bytesRead = readSync(fd, data, done, data.byteLength - done, offset + done);
          assert(bytesRead > 0, () => `snapshot file ${name} shorter than ${sizeBytes} bytes`);
          done += bytesRead;
        }
        return { data, done: end === sizeBytes };
      },
      close: (): void => {
        if (closed) return;
        closed = true;
        closeSync(fd);
        this.release(name);
      },
    };
  }

  /** `name` is no longer the current snapshot: delete it now, or when its last reader closes. */
  retire(name: string): void {
    this.retired.add(name);
    if (!this.readerCounts.has(name)) this.remove(name);
  }

  /** Readers open on `name`: for tests and diagnostics. */
  readersOf(name: string): number {
    return this.readerCounts.get(name) ?? 0;
  }

  private release(name: string): void {
    const count = this.readerCounts.get(name)!;
    if (count > 1) {
      this.readerCounts.set(name, count - 1);
      return;
    }
    this.readerCounts.delete(name);
    if (this.retired.has(name)) this.remove(name);
  }

  private remove(name: string): void {
    this.retired.delete(name);
    try {
      rmSync(join(this.directory, name), { force: true });
    } catch {
      // Not safety-relevant: an unreferenced file is removed at the next open anyway.
    }
  }

  private async syncDirectory(): Promise<void> {
    const directory = await open(this.directory, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function pad(value: number): string {
  return String(value).padStart(NAME_DIGITS, '0');
}
