/** What a checker reports when a property does not hold. */

/** The properties the simulator checks, as stable kebab-case names. */
export type PropertyName =
  /** At most one leader per term (§5.2). */
  | 'election-safety'
  /** A node's durable hard state never records two different votes in one term (§5.2). */
  | 'vote-safety'
  /** Same index and term ⇒ same entry and same preceding log (§5.3); log terms never decrease. */
  | 'log-matching'
  /** A leader never overwrites or deletes entries of its own log (§5.3). */
  | 'leader-append-only'
  /** A leader of term T holds every entry committed in a term < T (§5.4). */
  | 'leader-completeness'
  /** No two nodes apply (or commit) different entries at one index; applies are in order (§5.4.3). */
  | 'state-machine-safety'
  /** The commit index never goes back, per incarnation and on disk across restarts. */
  | 'commit-monotonic'
  /** Nothing is applied before it is committed. */
  | 'applied-within-commit'
  /** A ReadIndex read sees every write acknowledged before the read started (§6.4). */
  | 'read-linearizability'
  /**
   * Membership (thesis §4): no configuration a node moves to admits a quorum disjoint from
   * a quorum of the one before (a joint quorum needs both halves); every node gets the same
   * configuration from the change at a given index; configurations are well formed.
   */
  | 'configuration-safety'
  /**
   * A snapshot, taken or installed, names the committed entry at its index (same term),
   * and records the configuration in force at that index (§7).
   */
  | 'snapshot-matching'
  /** A node's applied state at an index — restored from a snapshot or not — is every node's state there (§7). */
  | 'restored-state'
  /** A leader restarts a snapshot transfer from scratch, after acknowledgements, only a bounded number of times. */
  | 'snapshot-restarts'
  /** After healing: a leader, and every write submitted before the heal applied on every member. */
  | 'liveness'
  /** The core threw: an assertion inside it, or an error the API does not allow. */
  | 'core-invariant';

export interface Violation {
  readonly property: PropertyName;
  readonly detail: string;
}

export interface Failure extends Violation {
  /** The simulation step during which the violation was detected. */
  readonly step: number;
}

export function violation(property: PropertyName, detail: string): Violation {
  return { property, detail };
}
