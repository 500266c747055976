/**
 * bbolt's page layouts, byte for byte: the meta page and its FNV-1a checksum, leaf and
 * branch nodes, the empty freelist. The expected bytes of the meta and of the inline
 * bucket pages come from a snapshot that a real etcd 3.4.23 streamed (read for its
 * bytes only), so the encoders are checked against bbolt's own output, not against
 * themselves.
 */
import {
  decodeMeta,
  encodeEmptyFreelistPage,
  encodeMetaPage,
  fnv1a64,
  readBranchElements,
  readLeafElements,
  readPageHeader,
  writeBranchNode,
  writeLeafNode,
} from '../../../../kv/backend/bolt/page-format.js';
import { NO_FREELIST_PAGE_ID } from '../../../../kv/backend/bolt/constants.js';

const hex = (text: string) => Buffer.from(text, 'hex');

test('FNV-1a 64 matches the published test vectors', () => {
  expect(fnv1a64(Buffer.from(''))).toBe(0xcbf29ce484222325n);
  expect(fnv1a64(Buffer.from('a'))).toBe(0xaf63dc4c8601ec8cn);
  expect(fnv1a64(Buffer.from('foobar'))).toBe(0x85944171f73967e8n);
});

test('a meta page is what bbolt writes: header, fields, checksum, zeros to the page end', () => {
  // Meta page 0 of a real etcd snapshot: page 0, flags meta; magic, version 2, page size
  // 4096, flags 0, root page 8, sequence 0; no freelist, 49 pages, txid 39; checksum.
  const etcdMeta0 = hex(
    '00000000000000000400000000000000' +
      'edda0ced02000000001000000000000008000000000000000000000000000000' +
      'ffffffffffffffff310000000000000027000000000000008d89316d64185645',
  );
  const fields = { pageSizeBytes: 4096, flags: 0, rootPageId: 8, rootSequence: 0n, freelistPageId: NO_FREELIST_PAGE_ID, pageCount: 49, txid: 39n };
  const page = encodeMetaPage(0, fields);
  expect(page.byteLength).toBe(4096);
  expect(page.subarray(0, etcdMeta0.byteLength)).toEqual(etcdMeta0);
  expect(page.subarray(80).every((b) => b === 0)).toBe(true);
  expect(decodeMeta(page, 0)).toEqual({ ok: true, meta: fields });
});

test('a meta page with a damaged field, magic or version is refused as bbolt refuses it', () => {
  const page = encodeMetaPage(1, { pageSizeBytes: 4096, flags: 0, rootPageId: 3, rootSequence: 0n, freelistPageId: 2n, pageCount: 4, txid: 1n });
  const damaged = (at: number) => {
    const copy = Buffer.from(page);
    copy[at]! ^= 1;
    return decodeMeta(copy, 0);
  };
  expect(damaged(16 + 40)).toEqual({ ok: false, reason: 'checksum mismatch' }); // the page count
  expect(damaged(16)).toEqual({ ok: false, reason: 'invalid magic' });
  expect(damaged(16 + 4)).toEqual({ ok: false, reason: 'version 3 is not 2' });
  expect(decodeMeta(page.subarray(0, 40), 0)).toEqual({ ok: false, reason: 'file too short for a meta page' });
});

test('a leaf node: elements, then each key and value, pos counted from the element', () => {
  // The inline page of etcd's `cluster` bucket: one entry, clusterVersion = 3.4.0.
  const node = Buffer.alloc(16 + 16 + 14 + 5);
  writeLeafNode(node, 0, 0, 0, [{ flags: 0, key: Buffer.from('clusterVersion'), value: Buffer.from('3.4.0') }]);
  expect(node).toEqual(hex('0000000000000000020001000000000000000000100000000e00000005000000636c757374657256657273696f6e332e342e30'));

  const elements = [
    { flags: 0, key: Buffer.from('a'), value: Buffer.from('one') },
    { flags: 1, key: Buffer.from('bb'), value: Buffer.alloc(0) },
    { flags: 0, key: Buffer.from('ccc'), value: Buffer.from('3') },
  ];
  const page = Buffer.alloc(4096);
  writeLeafNode(page, 0, 7, 0, elements);
  expect(readPageHeader(page, 0)).toEqual({ id: 7, flags: 2, count: 3, overflow: 0 });
  // The second element's key starts after the three elements and the first entry: 16 + 48 + 4 = 68, at element offset 32.
  expect(page.readUInt32LE(16 + 16 + 4)).toBe(68 - 32);
  expect(readLeafElements(page, 0, 3)).toEqual(elements);
});

test('a branch node: elements with the child page ids, then the keys', () => {
  const children = [
    { key: Buffer.from('a'), pageId: 3 },
    { key: Buffer.from('mm'), pageId: 9 },
  ];
  const page = Buffer.alloc(4096);
  writeBranchNode(page, 0, 12, 0, children);
  expect(page.subarray(0, 16 + 32 + 3)).toEqual(
    Buffer.concat([
      hex('0c000000000000000100020000000000'), // page 12, branch, 2 elements
      hex('20000000010000000300000000000000'), // pos 32, key size 1, child 3
      hex('11000000020000000900000000000000'), // pos 17, key size 2, child 9
      Buffer.from('amm'),
    ]),
  );
  expect(readBranchElements(page, 0, 2)).toEqual(children);
});

test('the empty freelist page: its own id, the freelist flag, no ids', () => {
  const page = encodeEmptyFreelistPage(2, 4096);
  expect(page.byteLength).toBe(4096);
  expect(page.subarray(0, 16)).toEqual(hex('02000000000000001000000000000000'));
  expect(page.subarray(16).every((b) => b === 0)).toBe(true);
});
