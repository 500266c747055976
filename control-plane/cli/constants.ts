/**
 * The limits of the `balsa` client commands, in one place (house style: a limit on every
 * loop, batch and wait). Durations carry their unit in the name.
 */

/** Items asked per list page (`?limit=`), as kubectl asks for its chunks. */
export const LIST_PAGE_LIMIT = 500;

/** Pages read for one list before giving up: 500 × 2000 objects is past any sane cluster of ours. */
export const LIST_PAGES_MAX = 2000;

/** Attempts of one read-modify-write (apply, label) that meets 409 Conflict, the first included. */
export const CONFLICT_ATTEMPTS_MAX = 5;

/** An ordinary request (not a watch) fails after this long without an answer. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** `delete --wait` gives up after this long unless `--timeout` says otherwise (kubectl's default). */
export const DELETE_WAIT_TIMEOUT_MS_DEFAULT = 60_000;

/** `delete --wait` polls the object, first after this long, doubling… */
export const DELETE_POLL_INTERVAL_MS_MIN = 50;
/** …up to this long between polls. */
export const DELETE_POLL_INTERVAL_MS_MAX = 1000;

/** A manifest file (or stdin) larger than this is refused rather than parsed. */
export const MANIFEST_BYTES_MAX = 16 * 1024 * 1024;

/** One watch line longer than this is a broken stream, not an object. */
export const WATCH_LINE_BYTES_MAX = 16 * 1024 * 1024;

/** `deploy` and `promote` give up on the rollout after this long unless `--timeout` says otherwise. */
export const RELEASE_TIMEOUT_MS_DEFAULT = 5 * 60_000;

/** A rollout followed by `deploy`/`promote` is read again this long after its watch ended, so that a server that ends every watch at once is not hammered. */
export const ROLLOUT_REWATCH_DELAY_MS = 250;
