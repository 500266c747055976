/**
 * The authority rule. RFC 9113 §8.3.1 makes `:authority` the authority part of the target
 * URI (host, optional port); `host` likewise (RFC 9110 §7.2). etcdctl 3.4's per-endpoint
 * commands send the endpoint as given, scheme and all (`http://127.0.0.1:2379`): Go's HTTP/2
 * server takes it, nghttp2 (inside Node's) answers RST_STREAM PROTOCOL_ERROR. The front
 * sends such a value on as the authority it names.
 */
import type { HeaderField } from './hpack-decoder.js';

/** Header names whose value is an authority. */
const AUTHORITY_HEADERS: ReadonlySet<string> = new Set([':authority', 'host']);

/** `scheme://` at the start of a value (RFC 3986 §3.1's scheme syntax). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The authority in `value` without a leading `scheme://` and from the first `/`, `?` or
 * `#` on (a path, query or fragment); null when there is nothing to take away, or nothing
 * would be left (such a value is left to the server to refuse).
 */
export function normalizedAuthority(value: string): string | null {
  // What nearly every request carries: a bare host:port.
  if (!/[/?#]/.test(value)) return null;
  const scheme = SCHEME.exec(value);
  const rest = scheme === null ? value : value.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  if (authority === value || authority === '') return null;
  return authority;
}

/** `fields` with each authority normalized, or null when none needs it. */
export function normalizedFields(fields: readonly HeaderField[]): HeaderField[] | null {
  let result: HeaderField[] | null = null;
  fields.forEach((field, i) => {
    if (!AUTHORITY_HEADERS.has(field.name)) return;
    const authority = normalizedAuthority(field.value);
    if (authority === null) return;
    result ??= [...fields];
    result[i] = { ...field, value: authority };
  });
  return result;
}
