/**
 * Who the member in a data directory is: its id, its cluster's id, and the cluster token
 * member ids are computed with. Written once, when the member is created (from its flags
 * for a new cluster, from the cluster's answer for a member joining one), and read at every
 * start after that, as etcd keeps its ids in its WAL: a member restarts as itself whatever
 * its initial cluster flags say now (etcd ignores them on a data directory that holds a
 * member), and at whatever peer URL `member update` moved it to.
 *
 * The cluster id also names the cluster on the Raft transport, so that members of two
 * clusters never exchange messages, and a member joining learns it from the cluster
 * (it need not be given the token the cluster was bootstrapped with, as with etcd).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemberIdentity {
  /** This member's Raft id (a positive safe integer). */
  readonly id: number;
  /** The cluster's id (64 bits). */
  readonly clusterId: bigint;
  /** The token this member computes new members' ids with (`member add`). */
  readonly clusterToken: string;
}

/** The file, beside the Raft storage. */
export const MEMBER_IDENTITY_FILE = 'balsa-member.json';

/**
 * The identity recorded in `dataDir`, or null if none is. Fields missing from a file
 * written before they were recorded come from `fallback`. Throws when the file is corrupt.
 */
export function readMemberIdentity(dataDir: string, fallback: Omit<MemberIdentity, 'id'>): MemberIdentity | null {
  const path = join(dataDir, MEMBER_IDENTITY_FILE);
  if (!existsSync(path)) return null;
  const recorded = JSON.parse(readFileSync(path, 'utf8')) as { id?: unknown; clusterId?: unknown; clusterToken?: unknown };
  if (typeof recorded.id !== 'number' || !Number.isSafeInteger(recorded.id) || recorded.id <= 0) throw new Error(`${path}: no valid member id in it`);
  if (recorded.clusterId !== undefined && (typeof recorded.clusterId !== 'string' || !/^\d+$/.test(recorded.clusterId))) {
    throw new Error(`${path}: the cluster id is not a decimal number`);
  }
  if (recorded.clusterToken !== undefined && typeof recorded.clusterToken !== 'string') throw new Error(`${path}: the cluster token is not a string`);
  return {
    id: recorded.id,
    clusterId: recorded.clusterId === undefined ? fallback.clusterId : BigInt(recorded.clusterId),
    clusterToken: recorded.clusterToken ?? fallback.clusterToken,
  };
}

/** Records `identity` in `dataDir` (atomically: a crash leaves the old file or the new one). */
export function writeMemberIdentity(dataDir: string, identity: MemberIdentity): MemberIdentity {
  const path = join(dataDir, MEMBER_IDENTITY_FILE);
  const text = JSON.stringify({ id: identity.id, clusterId: identity.clusterId.toString(), clusterToken: identity.clusterToken });
  writeFileSync(`${path}.tmp`, text + '\n');
  renameSync(`${path}.tmp`, path);
  return identity;
}
