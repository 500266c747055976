/**
 * The front's HPACK decoder and encoder against RFC 7541: the examples of Appendix C (the
 * byte strings are the RFC's; C.3/C.4 decode three requests on one decoder, C.5/C.6 three
 * responses on a 256-octet table, so entries get evicted), with and without Huffman, and
 * the decoding errors of §4–§6. The encoder's blocks decode to what was encoded and leave
 * the decoder's dynamic table as it was.
 */
import { HpackDecoder } from '../../../../kv/server/http2-front/hpack-decoder.js';
import type { HeaderField } from '../../../../kv/server/http2-front/hpack-decoder.js';
import { encodeHeaderBlock } from '../../../../kv/server/http2-front/hpack-encoder.js';
import { decodeHuffman, huffmanCode } from '../../../../kv/server/http2-front/huffman.js';
import { Http2FrontError } from '../../../../kv/server/http2-front/errors.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** The decoded fields as `[name, value]` pairs. */
const pairs = (fields: readonly HeaderField[]) => fields.map((f) => [f.name, f.value]);

/** The dynamic table as `[name, value, size]`, newest first, as Appendix C prints it. */
function tableOf(decoder: HpackDecoder): [string, string, number][] {
  const rows: [string, string, number][] = [];
  for (let i = 1; i <= decoder.table.length; i++) {
    const entry = decoder.table.get(i)!;
    rows.push([entry.name, entry.value, entry.name.length + entry.value.length + 32]);
  }
  return rows;
}

/** C.4's blocks (Huffman) or C.3's (raw strings). */
const requests = (huffman: boolean) =>
  huffman
    ? ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf']
    : [
        '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '8286 84be 5808 6e6f 2d63 6163 6865',
        '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
      ];

/** C.6's blocks (Huffman) or C.5's (raw strings). */
const responses = (huffman: boolean) =>
  huffman
    ? [
        '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        '4883 640e ffc1 c0bf',
        '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ]
    : [
        '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '4803 3330 37c1 c0bf',
        '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
      ];

function compressionError(run: () => unknown): Http2FrontError {
  try {
    run();
  } catch (error) {
    if (error instanceof Http2FrontError && error.code === 'compression') return error;
    throw error;
  }
  throw new Error('no decoding error');
}

describe('Huffman code (Appendix B)', () => {
  test('codes of Appendix B follow from the code lengths', () => {
    expect(huffmanCode(32)).toEqual({ code: 0x14, bits: 6 }); // ' '
    expect(huffmanCode(48)).toEqual({ code: 0x0, bits: 5 }); // '0'
    expect(huffmanCode(0)).toEqual({ code: 0x1ff8, bits: 13 });
    expect(huffmanCode(10)).toEqual({ code: 0x3ffffffc, bits: 30 });
    expect(huffmanCode(128)).toEqual({ code: 0xfffe6, bits: 20 });
    expect(huffmanCode(255)).toEqual({ code: 0x3ffffee, bits: 26 });
    expect(huffmanCode(256)).toEqual({ code: 0x3fffffff, bits: 30 }); // EOS
  });

  test('decodes C.4.1\'s "www.example.com" and C.6.1\'s "302"', () => {
    const www = hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff');
    expect(decodeHuffman(www, 0, www.length)).toBe('www.example.com');
    const status = hex('6402');
    expect(decodeHuffman(status, 0, status.length)).toBe('302');
  });

  test('refuses padding longer than 7 bits, padding that is not 1s, and EOS (§5.2)', () => {
    // "0" is 00000: three 1 bits of padding make one octet; eight more are too many.
    expect(decodeHuffman(hex('07'), 0, 1)).toBe('0');
    expect(compressionError(() => decodeHuffman(hex('07ff'), 0, 2)).message).toContain('longer than 7 bits');
    expect(compressionError(() => decodeHuffman(hex('06'), 0, 1)).message).toContain('not the EOS prefix');
    expect(compressionError(() => decodeHuffman(hex('ffff ffff'), 0, 4)).message).toContain('EOS');
  });
});

describe('HPACK decoding (Appendix C)', () => {
  test('C.2: each kind of field representation', () => {
    const decoder = new HpackDecoder(4096);
    // C.2.1 literal with indexing: added to the table.
    expect(pairs(decoder.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')).fields)).toEqual([['custom-key', 'custom-header']]);
    expect(tableOf(decoder)).toEqual([['custom-key', 'custom-header', 55]]);
    // C.2.2 literal without indexing, C.2.3 never indexed: the table does not change.
    expect(pairs(decoder.decode(hex('040c 2f73 616d 706c 652f 7061 7468')).fields)).toEqual([[':path', '/sample/path']]);
    const never = decoder.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74')).fields;
    expect(never).toEqual([{ name: 'password', value: 'secret', neverIndexed: true }]);
    // C.2.4 indexed.
    expect(pairs(decoder.decode(hex('82')).fields)).toEqual([[':method', 'GET']]);
    expect(decoder.table.sizeBytes).toBe(55);
  });

  test.each([
    ['C.3 (no Huffman)', false],
    ['C.4 (Huffman)', true],
  ])('%s: three requests on one decoder', (_name, huffman) => {
    const decoder = new HpackDecoder(4096);
    const [first, second, third] = requests(huffman).map(hex);
    const request = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];

    expect(pairs(decoder.decode(first!).fields)).toEqual(request);
    expect(tableOf(decoder)).toEqual([[':authority', 'www.example.com', 57]]);
    expect(decoder.table.sizeBytes).toBe(57);

    expect(pairs(decoder.decode(second!).fields)).toEqual([...request, ['cache-control', 'no-cache']]);
    expect(tableOf(decoder)).toEqual([
      ['cache-control', 'no-cache', 53],
      [':authority', 'www.example.com', 57],
    ]);
    expect(decoder.table.sizeBytes).toBe(110);

    expect(pairs(decoder.decode(third!).fields)).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
    expect(tableOf(decoder)).toEqual([
      ['custom-key', 'custom-value', 54],
      ['cache-control', 'no-cache', 53],
      [':authority', 'www.example.com', 57],
    ]);
    expect(decoder.table.sizeBytes).toBe(164);
  });

  test.each([
    ['C.5 (no Huffman)', false],
    ['C.6 (Huffman)', true],
  ])('%s: three responses on a 256-octet table, with evictions', (_name, huffman) => {
    const decoder = new HpackDecoder(256);
    const [first, second, third] = responses(huffman).map(hex);
    const date21 = 'Mon, 21 Oct 2013 20:13:21 GMT';
    const location = 'https://www.example.com';

    expect(pairs(decoder.decode(first!).fields)).toEqual([
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', date21],
      ['location', location],
    ]);
    expect(tableOf(decoder)).toEqual([
      ['location', location, 63],
      ['date', date21, 65],
      ['cache-control', 'private', 52],
      [':status', '302', 42],
    ]);
    expect(decoder.table.sizeBytes).toBe(222);

    // :status 307 pushes :status 302 out.
    expect(pairs(decoder.decode(second!).fields)).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', date21],
      ['location', location],
    ]);
    expect(tableOf(decoder)).toEqual([
      [':status', '307', 42],
      ['location', location, 63],
      ['date', date21, 65],
      ['cache-control', 'private', 52],
    ]);
    expect(decoder.table.sizeBytes).toBe(222);

    const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
    expect(pairs(decoder.decode(third!).fields)).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', location],
      ['content-encoding', 'gzip'],
      ['set-cookie', cookie],
    ]);
    expect(tableOf(decoder)).toEqual([
      ['set-cookie', cookie, 98],
      ['content-encoding', 'gzip', 52],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT', 65],
    ]);
    expect(decoder.table.sizeBytes).toBe(215);
  });
});

describe('HPACK dynamic table size updates (§4.2, §6.3)', () => {
  test('a size update evicts what no longer fits; 0 empties the table', () => {
    const decoder = new HpackDecoder(4096);
    decoder.decode(hex(requests(false).slice(0, 2).join('')));
    expect(decoder.table.sizeBytes).toBe(110);
    // 3f 2f: 5-bit prefix integer 31 + 47 = 78: only the newest entry (53) still fits.
    const block = decoder.decode(hex('3f2f 82'));
    expect(block.sizeUpdates).toEqual([78]);
    expect(tableOf(decoder)).toEqual([['cache-control', 'no-cache', 53]]);
    expect(decoder.decode(hex('20')).sizeUpdates).toEqual([0]);
    expect(decoder.table.length).toBe(0);
    expect(decoder.table.maxBytes).toBe(0);
  });

  test('C.1.2\'s 1337 with a 5-bit prefix, read and written', () => {
    expect(new HpackDecoder(4096).decode(hex('3f9a0a')).sizeUpdates).toEqual([1337]);
    expect(encodeHeaderBlock([], [1337])).toEqual(hex('3f9a0a'));
  });

  test('an entry larger than the table empties it and is not added (§4.4)', () => {
    const decoder = new HpackDecoder(64);
    decoder.decode(hex('4003 6162 6301 78')); // abc: x, 36 octets
    expect(decoder.table.length).toBe(1);
    decoder.decode(hex(`4003 616263 20 ${'61'.repeat(32)}`)); // abc: 32 × a, 67 octets
    expect(decoder.table.length).toBe(0);
  });

  test('refuses an update above the decoder\'s maximum, and one after a field', () => {
    expect(compressionError(() => new HpackDecoder(4096).decode(hex('3fe21f'))).message).toContain('4097 > 4096');
    expect(compressionError(() => new HpackDecoder(4096).decode(hex('8220'))).message).toContain('after a header field');
  });
});

describe('HPACK decoding errors', () => {
  test.each([
    ['index 0', '80'],
    ['an index past both tables', 'be'],
    ['a literal name index past both tables', '7f00 0178'],
    ['a truncated integer', 'ff'],
    ['an integer of too many octets', `ff${'80'.repeat(8)}01`],
    ['a string past the end of the block', '4003 6162'],
    ['a Huffman string with bad padding', '4181 06'],
  ])('%s', (_name, block) => {
    compressionError(() => new HpackDecoder(4096).decode(hex(block)));
  });
});

describe('the front\'s encoder', () => {
  const fields: HeaderField[] = [
    { name: ':method', value: 'POST', neverIndexed: false },
    { name: ':scheme', value: 'http', neverIndexed: false },
    { name: ':path', value: '/etcdserverpb.Maintenance/Status', neverIndexed: false },
    { name: ':authority', value: '127.0.0.1:2379', neverIndexed: false },
    { name: 'content-type', value: 'application/grpc', neverIndexed: false },
    { name: 'te', value: 'trailers', neverIndexed: false },
    { name: 'authorization', value: 'secret', neverIndexed: true },
    { name: 'grpc-bin', value: '\u0000\u00ff\u0080', neverIndexed: false },
  ];

  test('its blocks decode to the fields given, and leave the dynamic table as it was', () => {
    const decoder = new HpackDecoder(4096);
    decoder.decode(hex(requests(true)[0]!)); // one entry in the table
    const block = encodeHeaderBlock(fields);
    expect(decoder.decode(block).fields).toEqual(fields);
    expect(tableOf(decoder)).toEqual([[':authority', 'www.example.com', 57]]);
  });

  test('static entries whole are indexes; names of the static table are name indexes; never-indexed stays so', () => {
    const block = encodeHeaderBlock(fields.slice(0, 2));
    expect(block).toEqual(hex('83 86'));
    // :authority (static name 1) without indexing: 0000 0001, then a raw 3-octet string.
    expect(encodeHeaderBlock([{ name: ':authority', value: 'a:1', neverIndexed: false }])).toEqual(hex('01 03 613a31'));
    // never indexed, static name 23 (authorization): 0001 1111 + 8.
    expect(encodeHeaderBlock([fields[6]!])).toEqual(hex('1f08 06 736563726574'));
  });
});
