/**
 * What RaftNode writes around the application's bytes: an entry's header names the request
 * (nonce, sequence) so the proposer can settle it, and must read back exactly; entries
 * written by an older version with 64-bit nonces must never be taken for this instance's.
 */
import {
  decodeConfContext,
  decodeEntryData,
  drawNonce,
  encodeAddressUpdate,
  encodeConfContext,
  encodeEntryData,
  ENTRY_HEADER_BYTES,
} from '../../../raft/node-envelope.js';

test('an entry reads back as the request that proposed it and the payload, to the last bit of 53', () => {
  const payload = new Uint8Array([1, 2, 3, 250]);
  for (const id of [
    { nonce: 0, seq: 0 },
    { nonce: 2 ** 53 - 1, seq: 2 ** 53 - 1 },
    { nonce: 0x1234_5678_9abc, seq: 0xffff_ffff + 1 },
    { nonce: drawNonce(), seq: 7 },
  ]) {
    const data = encodeEntryData(id, payload);
    expect(data.byteLength).toBe(ENTRY_HEADER_BYTES + payload.byteLength);
    expect(decodeEntryData(data)).toEqual({ kind: 'application', id, payload });
  }
});

test('the header layout: a version byte, then nonce and sequence as big-endian 64-bit integers', () => {
  const data = encodeEntryData({ nonce: 0x01_0203_0405, seq: 0x0a0b }, new Uint8Array([9]));
  expect([...data]).toEqual([1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b, 9]);
});

test('an older entry whose 64-bit nonce is beyond 2^53 matches no nonce drawn now', () => {
  const data = new Uint8Array(ENTRY_HEADER_BYTES + 1);
  data[0] = 1;
  data.fill(0xff, 1, 9); // nonce 2^64 - 1
  data[16] = 5; // seq 5
  const decoded = decodeEntryData(data);
  expect(decoded.id!.seq).toBe(5);
  expect(decoded.id!.nonce).toBeGreaterThanOrEqual(2 ** 53);
  for (let i = 0; i < 1000; i++) expect(drawNonce()).toBeLessThan(2 ** 53);
});

test('data not written by a RaftNode passes through whole, without a request', () => {
  for (const data of [new Uint8Array(0), new Uint8Array([1, 2]), new Uint8Array(ENTRY_HEADER_BYTES + 3).fill(7)]) {
    expect(decodeEntryData(data)).toEqual({ kind: 'application', id: null, payload: data });
  }
});

test('address updates and conf change contexts carry the request too', () => {
  const id = { nonce: drawNonce(), seq: 42 };
  expect(decodeEntryData(encodeAddressUpdate(id, { node: 3, address: '127.0.0.1:2380' }))).toEqual({
    kind: 'address',
    id,
    update: { node: 3, address: '127.0.0.1:2380' },
  });
  expect(decodeConfContext(encodeConfContext({ address: 'memory://4', id }))).toEqual({ address: 'memory://4', id });
  expect(decodeConfContext(encodeConfContext({ address: '', id: null }))).toEqual({ address: '', id: null });
});
