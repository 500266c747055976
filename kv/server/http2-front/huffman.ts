/**
 * HPACK's Huffman code (RFC 7541 §5.2, the code of Appendix B), decoding only: the front
 * reads what clients send and never Huffman-encodes what it writes.
 *
 * The code is canonical: within one code length, codes rise with the symbol, and each
 * length starts where the previous one ended, shifted left. So the table of Appendix B is
 * fully given by each symbol's code length, which is all this file keeps; the codes
 * follow (`' '` is `010100`, `'0'` is `00000`, EOS is thirty 1 bits).
 */
import { Http2FrontError } from './errors.js';

/** Symbol 256 ends a string; it never appears inside one (§5.2). */
const EOS = 256;

/** Code length in bits of symbols 0..256 (RFC 7541 Appendix B, the `len` column). */
// prettier-ignore
const CODE_LENGTHS: readonly number[] = [
  // 0-31: control characters
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  // 32-47: ' ' ! " # $ % & ' ( ) * + , - . /
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  // 48-63: 0-9 : ; < = > ?
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  // 64-79: @ A-O
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  // 80-95: P-Z [ \ ] ^ _
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  // 96-111: ` a-o
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  // 112-127: p-z { | } ~ DEL
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 128-255
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // 256: EOS
  30,
];

const MAX_CODE_BITS = 30;
/** Padding is the most significant bits of EOS, so all 1s, and shorter than a byte (§5.2). */
const MAX_PADDING_BITS = 7;

/**
 * The canonical code as lookup tables: for each length, the first code of that length,
 * how many codes have it, and where its symbols start in `symbols` (sorted by length,
 * then symbol).
 */
interface CanonicalCode {
  readonly firstCode: Int32Array;
  readonly count: Int32Array;
  readonly offset: Int32Array;
  readonly symbols: Uint16Array;
}

function buildCanonicalCode(lengths: readonly number[]): CanonicalCode {
  const count = new Int32Array(MAX_CODE_BITS + 1);
  for (const length of lengths) count[length]!++;
  const firstCode = new Int32Array(MAX_CODE_BITS + 1);
  const offset = new Int32Array(MAX_CODE_BITS + 1);
  let code = 0;
  let position = 0;
  for (let length = 1; length <= MAX_CODE_BITS; length++) {
    code = (code + count[length - 1]!) << 1;
    firstCode[length] = code;
    offset[length] = position;
    position += count[length]!;
  }
  const symbols = new Uint16Array(lengths.length);
  const next = Int32Array.from(offset);
  for (let length = 1; length <= MAX_CODE_BITS; length++) {
    for (let symbol = 0; symbol < lengths.length; symbol++) if (lengths[symbol] === length) symbols[next[length]!++] = symbol;
  }
  return { firstCode, count, offset, symbols };
}

const CODE = buildCanonicalCode(CODE_LENGTHS);

/** The code of `symbol` (its `code as hex` in Appendix B) and its length in bits. */
export function huffmanCode(symbol: number): { readonly code: number; readonly bits: number } {
  const bits = CODE_LENGTHS[symbol];
  if (bits === undefined) throw new RangeError(`no Huffman symbol ${symbol}`);
  for (let i = CODE.offset[bits]!; i < CODE.offset[bits]! + CODE.count[bits]!; i++) {
    if (CODE.symbols[i] === symbol) return { code: CODE.firstCode[bits]! + i - CODE.offset[bits]!, bits };
  }
  throw new Error(`Huffman symbol ${symbol} missing from its length`);
}

/**
 * The octets Huffman-encoded in `input[start, end)`, as a latin1 string (one character
 * per octet). Throws `Http2FrontError('compression')` for an EOS symbol, padding longer
 * than 7 bits, or padding that is not all 1s: each a decoding error (§5.2).
 */
export function decodeHuffman(input: Uint8Array, start: number, end: number): string {
  const { firstCode, count, offset, symbols } = CODE;
  // The shortest code is 5 bits: at most 8/5 symbols an octet.
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let length = 0;
  let code = 0;
  let bits = 0;
  let ones = true; // whether every bit of the current partial code is a 1 (a possible padding)
  for (let i = start; i < end; i++) {
    const octet = input[i]!;
    for (let shift = 7; shift >= 0; shift--) {
      const bit = (octet >> shift) & 1;
      code = (code << 1) | bit;
      bits++;
      ones &&= bit === 1;
      const index = code - firstCode[bits]!;
      if (index >= 0 && index < count[bits]!) {
        const symbol = symbols[offset[bits]! + index]!;
        if (symbol === EOS) throw new Http2FrontError('compression', 'a Huffman string contains EOS');
        out[length++] = symbol;
        code = 0;
        bits = 0;
        ones = true;
      }
    }
  }
  if (bits > MAX_PADDING_BITS) throw new Http2FrontError('compression', 'Huffman padding longer than 7 bits');
  if (!ones) throw new Http2FrontError('compression', 'Huffman padding is not the EOS prefix');
  return out.toString('latin1', 0, length);
}
