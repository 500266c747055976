/**
 * The protobuf codec of the Raft transport: every core message survives a round trip
 * exactly (optional fields stay absent, bytes come back as the receiver's own plain
 * `Uint8Array`s, safe integers up to 2^53 - 1 stay exact); malformed input is refused
 * with `InvalidArgumentError`; the schema is found from the sources and from `dist/`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import { AssertionFailedError, InvalidArgumentError } from '../../../raft/core/errors.js';
import type { Message, VoteMessage } from '../../../raft/core/types.js';
import {
  RAFT_PROTO_RELATIVE_PATH,
  batchHeaderBytes,
  batchMessageBytes,
  decodeBatch,
  decodeMessage,
  decodeStreamControl,
  encodeBatch,
  encodeMessage,
  encodeStreamControl,
  findRaftProto,
} from '../../../raft/transport/codec.js';
import { ALL_MESSAGE_TYPES, heartbeat, pattern, sampleMessages, snapshotChunk } from './transport-compliance.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAX = Number.MAX_SAFE_INTEGER;

/** Raw protobuf bytes, written field by field (for inputs the encoder would never make). */
function raw(write: (writer: protobuf.Writer) => void): Uint8Array {
  const writer = protobuf.Writer.create();
  write(writer);
  return writer.finish();
}

describe('encodeMessage / decodeMessage', () => {
  it('round-trips one message of every type, with every variant of its fields', () => {
    const samples = sampleMessages(MAX, 2);
    expect(new Set(samples.map((m) => m.type))).toEqual(new Set(ALL_MESSAGE_TYPES));
    for (const message of samples) expect(decodeMessage(encodeMessage(message))).toStrictEqual(message);
  });

  it('keeps absent commit facts absent and present zeros present', () => {
    const vote = (extra: Partial<VoteMessage>): VoteMessage => ({
      ...{ type: 'MsgVote', from: 1, to: 2, term: 3, index: 4, logTerm: 2, transfer: false },
      ...extra,
    });
    const absent = decodeMessage(encodeMessage(vote({}))) as VoteMessage;
    expect('commit' in absent).toBe(false);
    expect('commitTerm' in absent).toBe(false);
    const zeros = decodeMessage(encodeMessage(vote({ commit: 0, commitTerm: 0 }))) as VoteMessage;
    expect(zeros.commit).toBe(0);
    expect(zeros.commitTerm).toBe(0);
    const one = decodeMessage(encodeMessage(vote({ commitTerm: 5 }))) as VoteMessage;
    expect('commit' in one).toBe(false);
    expect(one.commitTerm).toBe(5);
  });

  it('gives bytes as fresh plain Uint8Arrays, empty ones included', () => {
    const encoded = encodeMessage(snapshotChunk(1, 2, 0, pattern(64), false));
    const decoded = decodeMessage(encoded) as Extract<Message, { type: 'MsgSnap' }>;
    expect(decoded.data.constructor).toBe(Uint8Array);
    expect(decoded.data.buffer).not.toBe(encoded.buffer);
    const empty = decodeMessage(encodeMessage(snapshotChunk(1, 2, 0, new Uint8Array(0), true))) as Extract<Message, { type: 'MsgSnap' }>;
    expect(empty.data).toStrictEqual(new Uint8Array(0));
  });

  it('keeps a heartbeat small: only the fields its type uses are written', () => {
    expect(encodeMessage(heartbeat(1, 2, 3)).byteLength).toBeLessThan(16);
  });

  it('refuses, as a bug, numbers that are not non-negative safe integers', () => {
    expect(() => encodeMessage(heartbeat(1, 2, -1))).toThrow(AssertionFailedError);
    expect(() => encodeMessage(heartbeat(1, 2, 1.5))).toThrow(AssertionFailedError);
    expect(() => encodeMessage(heartbeat(1, 2, MAX + 1))).toThrow(AssertionFailedError);
  });

  it('refuses a uint64 beyond 2^53 - 1 rather than rounding it', () => {
    const tooBig = raw((w) => w.uint32(8).uint32(8).uint32(16).uint64('9007199254740992'));
    expect(() => decodeMessage(tooBig)).toThrow(InvalidArgumentError);
    expect(() => decodeMessage(tooBig)).toThrow(/from is beyond 2\^53 - 1/);
    const largest = raw((w) => w.uint32(8).uint32(8).uint32(16).uint64('9007199254740991'));
    expect(decodeMessage(largest).from).toBe(MAX);
  });

  it('refuses unknown message and entry types, MsgSnap without metadata, and garbage', () => {
    expect(() => decodeMessage(raw((w) => w.uint32(8).uint32(99)))).toThrow(/unknown message type 99/);
    expect(() => decodeMessage(new Uint8Array(0))).toThrow(/unknown message type 0/);
    const badEntry = raw((w) => w.uint32(8).uint32(1).uint32(58).fork().uint32(24).uint32(7).ldelim());
    expect(() => decodeMessage(badEntry)).toThrow(/unknown entry type 7/);
    expect(() => decodeMessage(raw((w) => w.uint32(8).uint32(14)))).toThrow(/MsgSnap without snapshot metadata/);
    expect(() => decodeMessage(new Uint8Array([0x0a, 0xff]))).toThrow(InvalidArgumentError);
  });
});

describe('batches', () => {
  const header = { from: 1, to: 2, cluster: 'balsa-test' };

  it('round-trips a batch built from separately encoded messages', () => {
    const messages = sampleMessages(1, 2);
    const decoded = decodeBatch(encodeBatch(header, messages.map(encodeMessage)));
    expect(decoded).toStrictEqual({ ...header, messages });
  });

  it('round-trips an empty batch and an unnamed cluster', () => {
    expect(decodeBatch(encodeBatch({ from: MAX, to: 7, cluster: '' }, []))).toStrictEqual({ from: MAX, to: 7, cluster: '', messages: [] });
  });

  it('predicts a batch’s size exactly from its header and its messages’ sizes', () => {
    for (const sizes of [[0], [1, 127, 128], [16 * 1024, 300_000]]) {
      const encoded = sizes.map((size) => encodeMessage(snapshotChunk(1, 2, 0, pattern(size), false)));
      const predicted = batchHeaderBytes(header) + encoded.reduce((sum, bytes) => sum + batchMessageBytes(bytes.byteLength), 0);
      expect(encodeBatch(header, encoded).byteLength).toBe(predicted);
    }
  });

  it('round-trips the stream hello', () => {
    const hello = { kind: 'hello' as const, nodeId: MAX, cluster: 'east' };
    expect(decodeStreamControl(encodeStreamControl(hello))).toStrictEqual(hello);
    expect(() => decodeStreamControl(new Uint8Array(0))).toThrow(InvalidArgumentError);
  });
});

describe('finding raft.proto', () => {
  it('finds the repository’s schema from the source folder', () => {
    expect(findRaftProto()).toBe(path.join(REPO_ROOT, RAFT_PROTO_RELATIVE_PATH));
  });

  it('does not look above the package it belongs to', () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'balsa-codec-'));
    try {
      const nested = path.join(outside, 'pkg', 'dist', 'raft', 'transport');
      mkdirSync(nested, { recursive: true });
      writeFileSync(path.join(outside, 'pkg', 'package.json'), '{}');
      expect(() => findRaftProto(nested)).toThrow(/proto\/raft\/v1\/raft\.proto not found/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('works from the compiled dist/ (built by the test setup)', () => {
    const script = [
      "const codec = await import('./dist/raft/transport/codec.js');",
      "await import('./dist/raft/transport/grpc-transport.js');",
      "const m = { type: 'MsgHeartbeat', from: 1, to: 2, term: 3, commit: 4, context: 'x' };",
      'console.log(JSON.stringify(codec.decodeMessage(codec.encodeMessage(m))), codec.findRaftProto());',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(
      `{"type":"MsgHeartbeat","from":1,"to":2,"term":3,"commit":4,"context":"x"} ${path.join(REPO_ROOT, RAFT_PROTO_RELATIVE_PATH)}`,
    );
  });
});
