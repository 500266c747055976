/**
 * The store's change history: one `RevisionChanges` per revision, kept from the
 * compaction point on, so that a watch can start at any revision the store still has
 * and get every event from there, previous versions included.
 *
 * Every revision from 2 on has exactly one entry (a revision exists only because a write
 * changed something; revision 1 is the empty store), so the entries are contiguous and
 * found by arithmetic.
 */
import { assert } from './errors.js';
import type { RevisionChanges } from './types.js';

/** The first revision that can have changes: 1 is the initial, empty store. */
export const FIRST_CHANGE_REVISION = 2;

/**
 * The compaction point of a store never compacted, as etcd reports it (HashKV's
 * compact_revision). Below every revision, so it refuses no read; etcd can then compact
 * at revision 0, after which the point is 0.
 */
export const NEVER_COMPACTED = -1;

export class History {
  private entries: RevisionChanges[];
  /** The revision of `entries[0]` (or of the next entry, while there is none). */
  private firstRevision: number;

  constructor(firstRevision: number = FIRST_CHANGE_REVISION, entries: RevisionChanges[] = []) {
    assert(firstRevision >= FIRST_CHANGE_REVISION, () => `history cannot start at ${firstRevision}`);
    entries.forEach((entry, i) => assert(entry.revision === firstRevision + i, () => `history entry ${i} is at ${entry.revision}`));
    this.firstRevision = firstRevision;
    this.entries = entries;
  }

  /** The revision the next entry must have. */
  get nextRevision(): number {
    return this.firstRevision + this.entries.length;
  }

  append(changes: RevisionChanges): void {
    assert(changes.revision === this.nextRevision, () => `history expects ${this.nextRevision}, got ${changes.revision}`);
    assert(changes.events.length > 0, 'a revision without changes');
    this.entries.push(changes);
  }

  /** The entries at `startRevision` and after, oldest first (shared, never modified). */
  since(startRevision: number): RevisionChanges[] {
    return this.entries.slice(Math.max(0, startRevision - this.firstRevision));
  }

  /** The entry at `revision`, if kept. */
  at(revision: number): RevisionChanges | undefined {
    return revision >= this.firstRevision ? this.entries[revision - this.firstRevision] : undefined;
  }

  /**
   * Forgets the entries before `revision`. Copies the kept entries, O(kept): `splice`
   * would also build an array of the dropped ones, millions of them after a long time
   * without compaction, inside the apply path.
   */
  compact(revision: number): void {
    const drop = Math.min(this.entries.length, Math.max(0, revision - this.firstRevision));
    if (drop === 0) return;
    this.entries = this.entries.slice(drop);
    this.firstRevision += drop;
  }
}
