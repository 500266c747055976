/**
 * IP address syntax for pod, node, endpoint and Service addresses. Kubernetes accepts the
 * textual forms Go's parser accepts: dotted-quad IPv4 without leading zeros, and IPv6 with
 * `::` compression and an optional trailing dotted quad (`::ffff:10.0.0.1`). Zones
 * (`fe80::1%eth0`) are not addresses an object can hold.
 */
import { invalid } from './checks.js';
import type { Errors } from './checks.js';

const IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** `10.0.0.1`: four decimal octets 0–255, no leading zeros (they read as octal to some parsers). */
export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

/** `2001:db8::1`, `::`, `::ffff:10.0.0.1`: eight 16-bit groups, `::` standing for one or more zero groups. */
export function isIPv6(text: string): boolean {
  if (!text.includes(':')) return false;
  let groupsText = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // A trailing dotted quad is the last two groups.
    if (!isIPv4(tail)) return false;
    groupsText = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = groupsText.split('::');
  if (halves.length > 2) return false;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const groupsOf = (half: string): string[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    return groups.every((g) => group.test(g)) ? groups : undefined;
  };
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || rest === undefined) return false;
  const count = head.length + rest.length;
  return halves.length === 2 ? count < 8 : count === 8;
}

export function isIPAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** Reports `Invalid` with Kubernetes' wording unless the text is an IPv4 or IPv6 address. */
export function checkIPAddress(errors: Errors, text: string, field: string): boolean {
  if (isIPAddress(text)) return true;
  invalid(errors, field, text, IP_MESSAGE);
  return false;
}
