/**
 * The front's HPACK encoder: it writes header blocks that never touch the decoder's
 * dynamic table. A field is a static-table index when the static table holds it whole,
 * else a literal without indexing (never indexed, if it came so) with a static name index
 * where there is one; strings go raw, without Huffman. The server's table therefore keeps
 * exactly the entries it had, and blocks forwarded later need no knowledge of it.
 */
import type { HeaderField } from './hpack-decoder.js';
import { staticNameIndex, staticPairIndex } from './static-table.js';

/** `sizeUpdates` (dynamic table size updates, §6.3) first, then `fields`. */
export function encodeHeaderBlock(fields: readonly HeaderField[], sizeUpdates: readonly number[] = []): Buffer {
  let capacity = 5 * sizeUpdates.length;
  for (const field of fields) capacity += field.name.length + field.value.length + 15; // prefixes: ≤ 5 octets per integer
  const writer = new BlockWriter(capacity);
  for (const size of sizeUpdates) writer.integer(0x20, 5, size);
  for (const field of fields) {
    const pair = field.neverIndexed ? 0 : staticPairIndex(field.name, field.value);
    if (pair !== 0) {
      writer.integer(0x80, 7, pair); // §6.1
      continue;
    }
    const nameIndex = staticNameIndex(field.name);
    writer.integer(field.neverIndexed ? 0x10 : 0x00, 4, nameIndex); // §6.2.3, §6.2.2
    if (nameIndex === 0) writer.string(field.name);
    writer.string(field.value);
  }
  return writer.result();
}

class BlockWriter {
  private readonly buffer: Buffer;
  private position = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** `value` with an N-bit prefix, the octet's other bits being `pattern` (§5.1). */
  integer(pattern: number, prefixBits: number, value: number): void {
    const limit = (1 << prefixBits) - 1;
    if (value < limit) {
      this.buffer[this.position++] = pattern | value;
      return;
    }
    this.buffer[this.position++] = pattern | limit;
    let rest = value - limit;
    while (rest >= 128) {
      this.buffer[this.position++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.position++] = rest;
  }

  /** A raw string literal (H = 0, §5.2); `text` is latin1, one character per octet. */
  string(text: string): void {
    this.integer(0x00, 7, text.length);
    this.position += this.buffer.write(text, this.position, 'latin1');
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.position);
  }
}
