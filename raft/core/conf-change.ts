/**
 * Membership changes as data: their encoding in a log entry, and the pure function that
 * turns a configuration and a change into the next configuration (thesis §4.1 for the
 * one-member change, §4.3 for joint consensus). The core calls it when a conf change
 * entry is applied; the leader also calls it when one is proposed, to refuse a change
 * that could never apply.
 */
import { InvalidConfChangeError } from './errors.js';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId } from './types.js';

const FORMAT_VERSION = 1;
const TYPE_CODES: Record<ConfChangeSingle['type'], number> = { 'add-voter': 0, 'add-learner': 1, remove: 2 };
const TYPES_BY_CODE: readonly ConfChangeSingle['type'][] = ['add-voter', 'add-learner', 'remove'];
/** version (1) + change count (2) + context length (4). */
const HEADER_BYTES = 7;
/** type (1) + node id as a float64 (8). */
const CHANGE_BYTES = 9;
const MAX_CHANGES = 0xffff;

/** The bytes of a conf change entry. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  if (cc.changes.length > MAX_CHANGES) throw new InvalidConfChangeError(`at most ${MAX_CHANGES} changes at once`);
  const context = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_BYTES + CHANGE_BYTES * cc.changes.length + context.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint16(1, cc.changes.length);
  let at = 3;
  for (const change of cc.changes) {
    view.setUint8(at, TYPE_CODES[change.type]);
    view.setFloat64(at + 1, change.node);
    at += CHANGE_BYTES;
  }
  view.setUint32(at, context.byteLength);
  out.set(context, at + 4);
  return out;
}

/** Decode a conf change entry's bytes; throws `InvalidConfChangeError` when they are not one. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < HEADER_BYTES) throw new InvalidConfChangeError('encoding too short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== FORMAT_VERSION) throw new InvalidConfChangeError(`unknown encoding version ${view.getUint8(0)}`);
  const count = view.getUint16(1);
  const contextAt = 3 + count * CHANGE_BYTES;
  if (data.byteLength < contextAt + 4) throw new InvalidConfChangeError('encoding truncated');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0, at = 3; i < count; i++, at += CHANGE_BYTES) {
    const type = TYPES_BY_CODE[view.getUint8(at)];
    if (type === undefined) throw new InvalidConfChangeError(`unknown change type ${view.getUint8(at)}`);
    changes.push({ type, node: view.getFloat64(at + 1) });
  }
  const contextLength = view.getUint32(contextAt);
  if (data.byteLength !== contextAt + 4 + contextLength) throw new InvalidConfChangeError('encoding length mismatch');
  const context = data.slice(contextAt + 4);
  return { changes, context };
}

/** Whether `conf` is a joint configuration (a membership change under way, thesis §4.3). */
export function isJoint(conf: ConfState): boolean {
  return conf.votersOutgoing.length > 0;
}

/** Every member (voter of either half, learner), ascending. */
export function membersOf(conf: ConfState): NodeId[] {
  return sorted(new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners, ...conf.learnersNext]));
}

/** Whether two configurations have the same members in every list. */
export function isConfStateEqual(a: ConfState, b: ConfState): boolean {
  return (
    sameIds(a.voters, b.voters) &&
    sameIds(a.learners, b.learners) &&
    sameIds(a.votersOutgoing, b.votersOutgoing) &&
    sameIds(a.learnersNext, b.learnersNext)
  );
}

export interface ChangeOptions {
  /** The skip-joint testing bug: apply any change in one step, never through a joint configuration. */
  readonly skipJoint?: boolean;
}

/**
 * The configuration that `cc` produces from `conf`, or `InvalidConfChangeError` when it
 * cannot apply: a change while joint (other than leaving), leaving when not joint,
 * removing every voter, a repeated or invalid node id.
 */
export function changeConf(conf: ConfState, cc: ConfChange, options: ChangeOptions = {}): ConfState {
  if (cc.changes.length === 0) return leaveJoint(conf);
  if (isJoint(conf)) throw new InvalidConfChangeError('a joint configuration is in force; it must be left first');
  const seen = new Set<NodeId>();
  for (const change of cc.changes) {
    if (!Number.isSafeInteger(change.node) || change.node <= 0) {
      throw new InvalidConfChangeError(`node id must be a positive integer, got ${change.node}`);
    }
    if (seen.has(change.node)) throw new InvalidConfChangeError(`node ${change.node} appears twice in one change`);
    seen.add(change.node);
  }
  const incoming = new Set(conf.voters);
  const learners = new Set(conf.learners);
  for (const change of cc.changes) {
    switch (change.type) {
      case 'add-voter':
        learners.delete(change.node);
        incoming.add(change.node);
        break;
      case 'add-learner':
        incoming.delete(change.node);
        learners.add(change.node);
        break;
      case 'remove':
        incoming.delete(change.node);
        learners.delete(change.node);
        break;
      default: {
        const unknown: never = change.type;
        throw new InvalidConfChangeError(`unknown change type ${String(unknown)}`);
      }
    }
  }
  if (incoming.size === 0) throw new InvalidConfChangeError('the change would leave no voters');
  const before = new Set(conf.voters);
  let votersChanged = 0;
  for (const id of incoming) if (!before.has(id)) votersChanged++;
  for (const id of before) if (!incoming.has(id)) votersChanged++;
  if (votersChanged <= 1 || options.skipJoint === true) {
    return { voters: sorted(incoming), learners: sorted(learners), votersOutgoing: [], learnersNext: [] };
  }
  // Joint: the old voters keep voting (as the outgoing half) until the joint
  // configuration is left; an old voter demoted to learner waits in learnersNext.
  const learnersNext = [...learners].filter((id) => before.has(id));
  for (const id of learnersNext) learners.delete(id);
  return { voters: sorted(incoming), learners: sorted(learners), votersOutgoing: sorted(before), learnersNext: sorted(learnersNext) };
}

function leaveJoint(conf: ConfState): ConfState {
  if (!isJoint(conf)) throw new InvalidConfChangeError('no joint configuration to leave');
  return {
    voters: [...conf.voters],
    learners: sorted(new Set([...conf.learners, ...conf.learnersNext])),
    votersOutgoing: [],
    learnersNext: [],
  };
}

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
