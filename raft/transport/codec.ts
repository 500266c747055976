/**
 * Core `Message` ⇄ protobuf (`proto/raft/v1/raft.proto`, package `balsa.raft.v1`).
 *
 * The schema is loaded at run time with protobufjs, from the `proto/` folder of the
 * repository (or installed package) this module lives in, so the same code works from
 * `raft/transport/` (tests) and `dist/raft/transport/` (the build).
 *
 * Every field round-trips exactly: optional fields (`commit`, `commitTerm` on votes) stay
 * absent when they were absent, bytes come back as plain `Uint8Array`s owned by the
 * receiver (never views into a network buffer), and uint64 values come back as numbers.
 * Encoding a number that is not a non-negative safe integer is a bug in the caller and
 * fails an assertion; decoding one (larger than 2^53 - 1) is an operating error, reported
 * as `InvalidArgumentError` like any other malformed input.
 *
 * Batches are assembled from messages encoded one by one (`encodeMessage`), so that a
 * sender knows each message's size before it decides what fits in a batch
 * (`batchHeaderBytes` + Σ `batchMessageBytes`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import { assert, InvalidArgumentError } from '../core/errors.js';
import { EntryType } from '../core/types.js';
import type { ConfState, Entry, Message, MessageType, NodeId, SnapshotMetadata } from '../core/types.js';

/** Where the schema lives, relative to the folder holding `package.json`. */
export const RAFT_PROTO_RELATIVE_PATH = 'proto/raft/v1/raft.proto';

/** The protobuf package of the schema. */
export const RAFT_PROTO_PACKAGE = 'balsa.raft.v1';

/** The gRPC service's full name, as used in method paths (`/<service>/<method>`). */
export const RAFT_SERVICE_NAME = `${RAFT_PROTO_PACKAGE}.Raft`;

/** Who a batch is from and for; `cluster` is '' when unnamed. */
export interface BatchHeader {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly cluster: string;
}

/** A decoded `MessageBatch`. */
export interface MessageBatch extends BatchHeader {
  readonly messages: readonly Message[];
}

/** What the receiving side of a stream writes back (`StreamControl`); today only a hello. */
export interface StreamHello {
  readonly kind: 'hello';
  /** The receiving node's id. */
  readonly nodeId: NodeId;
  /** The receiving node's cluster name ('' when unnamed). */
  readonly cluster: string;
}

export type StreamControl = StreamHello;

/**
 * The protobuf message type number of each core message type. The numbers are part of
 * the wire format: never renumber, only add.
 */
const MESSAGE_TYPE_NUMBERS: Readonly<Record<MessageType, number>> = {
  MsgProp: 1,
  MsgApp: 2,
  MsgAppResp: 3,
  MsgVote: 4,
  MsgVoteResp: 5,
  MsgPreVote: 6,
  MsgPreVoteResp: 7,
  MsgHeartbeat: 8,
  MsgHeartbeatResp: 9,
  MsgReadIndex: 10,
  MsgReadIndexResp: 11,
  MsgTransferLeader: 12,
  MsgTimeoutNow: 13,
  MsgSnap: 14,
  MsgSnapResp: 15,
};

const MESSAGE_TYPES_BY_NUMBER: ReadonlyMap<number, MessageType> = new Map(
  Object.entries(MESSAGE_TYPE_NUMBERS).map(([type, wire]) => [wire, type as MessageType]),
);

/** A protobufjs uint64 as decoded: a `Long` when the `long` package is present, else a number. */
interface LongBits {
  readonly low: number;
  readonly high: number;
}

/** The decoded shape of each schema message, as read here (absent fields read as defaults). */
interface WireEntry {
  readonly term: unknown;
  readonly index: unknown;
  readonly type: unknown;
  readonly data: unknown;
}

interface WireConfState {
  readonly voters: readonly unknown[];
  readonly learners: readonly unknown[];
  readonly votersOutgoing: readonly unknown[];
  readonly learnersNext: readonly unknown[];
}

interface WireSnapshotMetadata {
  readonly index: unknown;
  readonly term: unknown;
  readonly confState: WireConfState | null;
}

interface WireMessage {
  readonly type: unknown;
  readonly from: unknown;
  readonly to: unknown;
  readonly term: unknown;
  readonly logTerm: unknown;
  readonly index: unknown;
  readonly entries: readonly WireEntry[];
  readonly commit: unknown;
  readonly commitTerm: unknown;
  readonly reject: unknown;
  readonly rejectHint: unknown;
  readonly transfer: unknown;
  readonly context: unknown;
  readonly snapshot: WireSnapshotMetadata | null;
  readonly offset: unknown;
  readonly data: unknown;
  readonly done: unknown;
}

interface WireBatch {
  readonly from: unknown;
  readonly to: unknown;
  readonly cluster: unknown;
  readonly messages: readonly WireMessage[];
}

interface WireStreamControl {
  readonly hello: { readonly nodeId: unknown; readonly cluster: unknown } | null;
}

interface Schema {
  readonly message: protobuf.Type;
  readonly batch: protobuf.Type;
  readonly streamControl: protobuf.Type;
  /** Tag (field number and wire type) of `MessageBatch.messages`, a length-delimited field. */
  readonly batchMessagesTag: number;
}

let schema: Schema | undefined;

/**
 * The `raft.proto` that belongs with this module: the first `proto/raft/v1/raft.proto`
 * found walking up from `startDirectory`, not looking above the first folder that holds a
 * `package.json` (the repository, or the installed package).
 */
export function findRaftProto(startDirectory: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let directory = path.resolve(startDirectory);
  for (;;) {
    const candidate = path.join(directory, RAFT_PROTO_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (existsSync(path.join(directory, 'package.json')) || parent === directory) {
      throw new Error(
        `raft transport: ${RAFT_PROTO_RELATIVE_PATH} not found above ${startDirectory} (is proto/ shipped with the package?)`,
      );
    }
    directory = parent;
  }
}

/** The schema, loaded on first use (synchronously: it is a few kilobytes, read once). */
function loadSchema(): Schema {
  if (schema !== undefined) return schema;
  const root = protobuf.loadSync(findRaftProto());
  const batch = root.lookupType(`${RAFT_PROTO_PACKAGE}.MessageBatch`);
  const messagesField = batch.fields['messages'];
  assert(messagesField !== undefined && messagesField.repeated, 'raft.proto: MessageBatch.messages must be a repeated field');
  schema = {
    message: root.lookupType(`${RAFT_PROTO_PACKAGE}.Message`),
    batch,
    streamControl: root.lookupType(`${RAFT_PROTO_PACKAGE}.StreamControl`),
    batchMessagesTag: (messagesField.id << 3) | 2,
  };
  return schema;
}

// ---------------------------------------------------------------------------------------
// Encoding

/** One core message as a protobuf `Message`. */
export function encodeMessage(message: Message): Uint8Array {
  return loadSchema().message.encode(messageToWire(message)).finish();
}

/**
 * A `MessageBatch` from messages already encoded with `encodeMessage` (an embedded message
 * and a bytes field share one wire encoding, so they are copied in as they are).
 */
export function encodeBatch(header: BatchHeader, encodedMessages: readonly Uint8Array[]): Uint8Array {
  const { batchMessagesTag } = loadSchema();
  const writer = writeBatchHeader(header);
  for (const encoded of encodedMessages) writer.uint32(batchMessagesTag).bytes(encoded);
  return writer.finish();
}

/** The encoded size of a batch's header (`from`, `to`, `cluster`), bytes. */
export function batchHeaderBytes(header: BatchHeader): number {
  return writeBatchHeader(header).len;
}

/** What one encoded message of `encodedBytes` bytes adds to a batch: itself and its framing. */
export function batchMessageBytes(encodedBytes: number): number {
  return varintBytes(loadSchema().batchMessagesTag) + varintBytes(encodedBytes) + encodedBytes;
}

/** A `StreamControl` carrying a hello. */
export function encodeStreamControl(control: StreamControl): Uint8Array {
  checkUint64(control.nodeId, 'hello.nodeId');
  return loadSchema()
    .streamControl.encode({ hello: { nodeId: control.nodeId, cluster: control.cluster } })
    .finish();
}

function writeBatchHeader(header: BatchHeader): protobuf.Writer {
  checkUint64(header.from, 'batch.from');
  checkUint64(header.to, 'batch.to');
  const { batch } = loadSchema();
  return batch.encode({ from: header.from, to: header.to, cluster: header.cluster });
}

function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

/** The plain object protobufjs encodes: only the fields the message type uses. */
function messageToWire(m: Message): Record<string, unknown> {
  const base = { type: MESSAGE_TYPE_NUMBERS[m.type], from: u64(m.from, 'from'), to: u64(m.to, 'to'), term: u64(m.term, 'term') };
  switch (m.type) {
    case 'MsgProp':
      return { ...base, entries: m.entries.map(entryToWire) };
    case 'MsgApp':
      return {
        ...base,
        logTerm: u64(m.logTerm, 'logTerm'),
        index: u64(m.index, 'index'),
        entries: m.entries.map(entryToWire),
        commit: u64(m.commit, 'commit'),
      };
    case 'MsgAppResp':
      return {
        ...base,
        index: u64(m.index, 'index'),
        reject: m.reject,
        rejectHint: u64(m.rejectHint, 'rejectHint'),
        logTerm: u64(m.logTerm, 'logTerm'),
      };
    case 'MsgVote':
    case 'MsgPreVote':
      return { ...base, index: u64(m.index, 'index'), logTerm: u64(m.logTerm, 'logTerm'), transfer: m.transfer, ...commitFactsToWire(m) };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { ...base, reject: m.reject, ...commitFactsToWire(m) };
    case 'MsgHeartbeat':
      return { ...base, commit: u64(m.commit, 'commit'), context: m.context };
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      return { ...base, context: m.context };
    case 'MsgReadIndexResp':
      return { ...base, index: u64(m.index, 'index'), context: m.context };
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
      return base;
    case 'MsgSnap':
      return { ...base, snapshot: snapshotMetadataToWire(m.snapshot), offset: u64(m.offset, 'offset'), data: m.data, done: m.done };
    case 'MsgSnapResp':
      return { ...base, index: u64(m.index, 'index'), offset: u64(m.offset, 'offset'), reject: m.reject };
    default:
      return unreachable(m);
  }
}

/** `commit`/`commitTerm` of a vote or vote response, each only when set (presence is kept). */
function commitFactsToWire(m: { readonly commit?: number; readonly commitTerm?: number }): Record<string, number> {
  const facts: Record<string, number> = {};
  if (m.commit !== undefined) facts['commit'] = u64(m.commit, 'commit');
  if (m.commitTerm !== undefined) facts['commitTerm'] = u64(m.commitTerm, 'commitTerm');
  return facts;
}

function entryToWire(entry: Entry): Record<string, unknown> {
  const known = entry.type === EntryType.Normal || entry.type === EntryType.ConfChange;
  assert(known, () => `entry type ${String(entry.type)} has no wire value`);
  return { term: u64(entry.term, 'entry.term'), index: u64(entry.index, 'entry.index'), type: entry.type, data: entry.data };
}

function snapshotMetadataToWire(metadata: SnapshotMetadata): Record<string, unknown> {
  const { confState } = metadata;
  return {
    index: u64(metadata.index, 'snapshot.index'),
    term: u64(metadata.term, 'snapshot.term'),
    confState: {
      voters: confState.voters.map((id) => u64(id, 'voters')),
      learners: confState.learners.map((id) => u64(id, 'learners')),
      votersOutgoing: confState.votersOutgoing.map((id) => u64(id, 'votersOutgoing')),
      learnersNext: confState.learnersNext.map((id) => u64(id, 'learnersNext')),
    },
  };
}

/** A number about to be written as uint64: the core only ever produces non-negative safe integers. */
function u64(value: number, field: string): number {
  checkUint64(value, field);
  return value;
}

function checkUint64(value: number, field: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, () => `${field} = ${String(value)} is not a non-negative safe integer`);
}

// ---------------------------------------------------------------------------------------
// Decoding

/** A protobuf `Message` as a core message. Throws `InvalidArgumentError` on malformed input. */
export function decodeMessage(bytes: Uint8Array): Message {
  return messageFromWire(decodeWith<WireMessage>(loadSchema().message, bytes, 'Message'));
}

/** A `MessageBatch`, its messages decoded. Throws `InvalidArgumentError` on malformed input. */
export function decodeBatch(bytes: Uint8Array): MessageBatch {
  const wire = decodeWith<WireBatch>(loadSchema().batch, bytes, 'MessageBatch');
  return {
    from: uint64(wire.from, 'batch.from'),
    to: uint64(wire.to, 'batch.to'),
    cluster: text(wire.cluster),
    messages: wire.messages.map(messageFromWire),
  };
}

/** A `StreamControl`. Throws `InvalidArgumentError` on malformed input or an unknown kind. */
export function decodeStreamControl(bytes: Uint8Array): StreamControl {
  const wire = decodeWith<WireStreamControl>(loadSchema().streamControl, bytes, 'StreamControl');
  if (wire.hello === null || wire.hello === undefined) throw malformed('StreamControl has no known control');
  return { kind: 'hello', nodeId: uint64(wire.hello.nodeId, 'hello.nodeId'), cluster: text(wire.hello.cluster) };
}

function decodeWith<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (error) {
    throw malformed(`cannot decode ${what}: ${(error as Error).message}`);
  }
}

function messageFromWire(w: WireMessage): Message {
  const type = MESSAGE_TYPES_BY_NUMBER.get(w.type as number);
  if (type === undefined) throw malformed(`unknown message type ${String(w.type)}`);
  const from = uint64(w.from, 'from');
  const to = uint64(w.to, 'to');
  const term = uint64(w.term, 'term');
  switch (type) {
    case 'MsgProp':
      return { type, from, to, term, entries: w.entries.map(entryFromWire) };
    case 'MsgApp':
      return {
        type,
        from,
        to,
        term,
        logTerm: uint64(w.logTerm, 'logTerm'),
        index: uint64(w.index, 'index'),
        entries: w.entries.map(entryFromWire),
        commit: uint64(w.commit, 'commit'),
      };
    case 'MsgAppResp':
      return {
        type,
        from,
        to,
        term,
        index: uint64(w.index, 'index'),
        reject: w.reject === true,
        rejectHint: uint64(w.rejectHint, 'rejectHint'),
        logTerm: uint64(w.logTerm, 'logTerm'),
      };
    case 'MsgVote':
    case 'MsgPreVote':
      return {
        type,
        from,
        to,
        term,
        index: uint64(w.index, 'index'),
        logTerm: uint64(w.logTerm, 'logTerm'),
        transfer: w.transfer === true,
        ...commitFactsFromWire(w),
      };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { type, from, to, term, reject: w.reject === true, ...commitFactsFromWire(w) };
    case 'MsgHeartbeat':
      return { type, from, to, term, commit: uint64(w.commit, 'commit'), context: text(w.context) };
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      return { type, from, to, term, context: text(w.context) };
    case 'MsgReadIndexResp':
      return { type, from, to, term, index: uint64(w.index, 'index'), context: text(w.context) };
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
      return { type, from, to, term };
    case 'MsgSnap':
      if (w.snapshot === null || w.snapshot === undefined) throw malformed('MsgSnap without snapshot metadata');
      return {
        type,
        from,
        to,
        term,
        snapshot: snapshotMetadataFromWire(w.snapshot),
        offset: uint64(w.offset, 'offset'),
        data: bytesFromWire(w.data),
        done: w.done === true,
      };
    case 'MsgSnapResp':
      return { type, from, to, term, index: uint64(w.index, 'index'), offset: uint64(w.offset, 'offset'), reject: w.reject === true };
    default:
      return unreachable(type);
  }
}

/** Presence is read from the decoded object's own properties: protobufjs sets only what was on the wire. */
function commitFactsFromWire(w: WireMessage): { commit?: number; commitTerm?: number } {
  const facts: { commit?: number; commitTerm?: number } = {};
  if (Object.hasOwn(w, 'commit')) facts.commit = uint64(w.commit, 'commit');
  if (Object.hasOwn(w, 'commitTerm')) facts.commitTerm = uint64(w.commitTerm, 'commitTerm');
  return facts;
}

function entryFromWire(w: WireEntry): Entry {
  const type = w.type;
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw malformed(`unknown entry type ${String(type)}`);
  return { term: uint64(w.term, 'entry.term'), index: uint64(w.index, 'entry.index'), type, data: bytesFromWire(w.data) };
}

function snapshotMetadataFromWire(w: WireSnapshotMetadata): SnapshotMetadata {
  if (w.confState === null || w.confState === undefined) throw malformed('snapshot metadata without a configuration');
  const ids = (list: readonly unknown[], field: string): NodeId[] => list.map((id) => uint64(id, field));
  const confState: ConfState = {
    voters: ids(w.confState.voters, 'voters'),
    learners: ids(w.confState.learners, 'learners'),
    votersOutgoing: ids(w.confState.votersOutgoing, 'votersOutgoing'),
    learnersNext: ids(w.confState.learnersNext, 'learnersNext'),
  };
  return { index: uint64(w.index, 'snapshot.index'), term: uint64(w.term, 'snapshot.term'), confState };
}

/**
 * A decoded uint64 as a number. protobufjs gives a `Long` (or a number without the `long`
 * package); values above 2^53 - 1 cannot be a Balsa id, term or index, so they are refused
 * rather than rounded.
 */
function uint64(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw malformed(`${field} = ${value} is out of range`);
    return value;
  }
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    const { low, high } = value as LongBits;
    const highUnsigned = high >>> 0;
    // 2^53 = 2^21 · 2^32: a high word of 2^21 or more is beyond the safe range.
    if (highUnsigned >= 0x20_0000) throw malformed(`${field} is beyond 2^53 - 1`);
    return highUnsigned * 0x1_0000_0000 + (low >>> 0);
  }
  throw malformed(`${field} is not an integer`);
}

/**
 * Decoded bytes as a fresh, plain `Uint8Array`: protobufjs gives a `Buffer` view into the
 * received frame (or an empty array when absent), and the receiver keeps entries long after
 * the frame is gone, so they must not pin it.
 */
function bytesFromWire(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function malformed(detail: string): InvalidArgumentError {
  return new InvalidArgumentError(`transport codec: ${detail}`);
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
