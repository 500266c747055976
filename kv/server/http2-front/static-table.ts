/**
 * HPACK's static table (RFC 7541 Appendix A): indexes 1..61, before the dynamic table's.
 * Names and values are latin1 strings, one character per octet, as everywhere in the front.
 */

export interface HeaderEntry {
  readonly name: string;
  readonly value: string;
}

const entry = (name: string, value = ''): HeaderEntry => ({ name, value });

/** Index i of the static table is `STATIC_TABLE[i - 1]`. */
export const STATIC_TABLE: readonly HeaderEntry[] = [
  entry(':authority'),
  entry(':method', 'GET'),
  entry(':method', 'POST'),
  entry(':path', '/'),
  entry(':path', '/index.html'),
  entry(':scheme', 'http'),
  entry(':scheme', 'https'),
  entry(':status', '200'),
  entry(':status', '204'),
  entry(':status', '206'),
  entry(':status', '304'),
  entry(':status', '400'),
  entry(':status', '404'),
  entry(':status', '500'),
  entry('accept-charset'),
  entry('accept-encoding', 'gzip, deflate'),
  entry('accept-language'),
  entry('accept-ranges'),
  entry('accept'),
  entry('access-control-allow-origin'),
  entry('age'),
  entry('allow'),
  entry('authorization'),
  entry('cache-control'),
  entry('content-disposition'),
  entry('content-encoding'),
  entry('content-language'),
  entry('content-length'),
  entry('content-location'),
  entry('content-range'),
  entry('content-type'),
  entry('cookie'),
  entry('date'),
  entry('etag'),
  entry('expect'),
  entry('expires'),
  entry('from'),
  entry('host'),
  entry('if-match'),
  entry('if-modified-since'),
  entry('if-none-match'),
  entry('if-range'),
  entry('if-unmodified-since'),
  entry('last-modified'),
  entry('link'),
  entry('location'),
  entry('max-forwards'),
  entry('proxy-authenticate'),
  entry('proxy-authorization'),
  entry('range'),
  entry('referer'),
  entry('refresh'),
  entry('retry-after'),
  entry('server'),
  entry('set-cookie'),
  entry('strict-transport-security'),
  entry('transfer-encoding'),
  entry('user-agent'),
  entry('vary'),
  entry('via'),
  entry('www-authenticate'),
];

/** The lowest static index of each name, and of each name and value pair. */
const NAME_INDEX = new Map<string, number>();
const PAIR_INDEX = new Map<string, Map<string, number>>();
STATIC_TABLE.forEach(({ name, value }, i) => {
  if (!NAME_INDEX.has(name)) NAME_INDEX.set(name, i + 1);
  const values = PAIR_INDEX.get(name) ?? new Map<string, number>();
  PAIR_INDEX.set(name, values);
  if (!values.has(value)) values.set(value, i + 1);
});

/** The static index holding exactly `name: value`, or 0. */
export function staticPairIndex(name: string, value: string): number {
  return PAIR_INDEX.get(name)?.get(value) ?? 0;
}

/** The first static index named `name`, or 0. */
export function staticNameIndex(name: string): number {
  return NAME_INDEX.get(name) ?? 0;
}
