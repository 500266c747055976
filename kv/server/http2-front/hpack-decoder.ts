/**
 * An HPACK decoder (RFC 7541): one per connection, fed every header block the client sends,
 * in order, so that its dynamic table stays the one the client's encoder keeps. Names and
 * values come out as latin1 strings (one character per octet: lossless for any octets).
 */
import { DynamicTable } from './dynamic-table.js';
import { Http2FrontError } from './errors.js';
import { decodeHuffman } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';
import type { HeaderEntry } from './static-table.js';

export interface HeaderField extends HeaderEntry {
  /** Sent as "never indexed" (§6.2.3): an intermediary re-encodes it the same way. */
  readonly neverIndexed: boolean;
}

export interface DecodedBlock {
  readonly fields: HeaderField[];
  /** The dynamic table size updates at the start of the block (§6.3), in order. */
  readonly sizeUpdates: number[];
}

/** Integers above this are a decoding error: no length or index in a bounded block comes near it. */
const MAX_INTEGER = 2 ** 31 - 1;

export class HpackDecoder {
  readonly table: DynamicTable;

  /**
   * `maxTableBytes`: the decoder's SETTINGS_HEADER_TABLE_SIZE, the most a size update may
   * ask for; the table starts at this size (§4.2; HTTP/2's initial value is 4096).
   */
  constructor(private readonly maxTableBytes: number) {
    this.table = new DynamicTable(maxTableBytes);
  }

  /**
   * Decode one complete header block. Throws `Http2FrontError('compression')` on a decoding
   * error; the dynamic table is then of no further use (the connection's HPACK state is
   * lost, as RFC 9113 §4.3 has it).
   */
  decode(block: Uint8Array): DecodedBlock {
    const reader = new BlockReader(block);
    const fields: HeaderField[] = [];
    const sizeUpdates: number[] = [];
    while (!reader.done) {
      const first = reader.peek();
      if (first & 0x80) {
        // Indexed header field (§6.1).
        const { name, value } = this.entry(reader.integer(7));
        fields.push({ name, value, neverIndexed: false });
      } else if (first & 0x40) {
        // Literal with incremental indexing (§6.2.1).
        const field = this.literal(reader, 6, false);
        this.table.add({ name: field.name, value: field.value });
        fields.push(field);
      } else if (first & 0x20) {
        // Dynamic table size update (§6.3): only before the first field (§4.2).
        if (fields.length > 0) throw new Http2FrontError('compression', 'a dynamic table size update after a header field');
        const size = reader.integer(5);
        if (size > this.maxTableBytes) throw new Http2FrontError('compression', `a dynamic table size update to ${size} > ${this.maxTableBytes}`);
        this.table.resize(size);
        sizeUpdates.push(size);
      } else {
        // Literal without indexing (0000xxxx, §6.2.2) or never indexed (0001xxxx, §6.2.3).
        fields.push(this.literal(reader, 4, (first & 0x10) !== 0));
      }
    }
    return { fields, sizeUpdates };
  }

  /** A literal field whose name index has a `prefixBits` prefix (0: a literal name follows). */
  private literal(reader: BlockReader, prefixBits: number, neverIndexed: boolean): HeaderField {
    const index = reader.integer(prefixBits);
    const name = index === 0 ? reader.string() : this.entry(index).name;
    return { name, value: reader.string(), neverIndexed };
  }

  /** Static entries first, then the dynamic table's, newest first (§2.3.3). */
  private entry(index: number): HeaderEntry {
    if (index === 0) throw new Http2FrontError('compression', 'index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.table.get(index - STATIC_TABLE.length);
    if (entry === undefined) throw new Http2FrontError('compression', `index ${index} past the tables`);
    return entry;
  }
}

/** Primitive representations (§5) read from one block, refusing to run past its end. */
class BlockReader {
  private position = 0;

  constructor(private readonly block: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.block.length;
  }

  peek(): number {
    return this.block[this.position]!;
  }

  /** An integer with an N-bit prefix in the current octet (§5.1). */
  integer(prefixBits: number): number {
    const limit = (1 << prefixBits) - 1;
    let value = this.octet() & limit;
    if (value < limit) return value;
    let factor = 1;
    for (;;) {
      const octet = this.octet();
      value += (octet & 0x7f) * factor;
      if (value > MAX_INTEGER) throw new Http2FrontError('compression', 'an integer too large');
      if ((octet & 0x80) === 0) return value;
      factor *= 128;
      // Zero octets would not grow the value: bound the octets instead.
      if (factor > MAX_INTEGER) throw new Http2FrontError('compression', 'an integer too long');
    }
  }

  /** A string literal (§5.2): Huffman-coded or raw octets. */
  string(): string {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.position;
    const end = start + length;
    if (end > this.block.length) throw new Http2FrontError('compression', 'a string past the end of the block');
    this.position = end;
    return huffman ? decodeHuffman(this.block, start, end) : Buffer.from(this.block.buffer, this.block.byteOffset + start, length).toString('latin1');
  }

  private octet(): number {
    if (this.position >= this.block.length) throw new Http2FrontError('compression', 'a truncated block');
    return this.block[this.position++]!;
  }
}
