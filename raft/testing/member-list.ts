/**
 * The `--members` flag of `cluster-node.ts`: `1=127.0.0.1:7001,2=127.0.0.1:7002`, each a
 * member id and the Raft address its peers reach it at (on loopback only).
 */
import type { Member } from '../node.js';
import { parseLoopbackAddress } from './tcp-proxy.js';

/** `1=127.0.0.1:7001,2=127.0.0.1:7002` → members. Throws on a bad id or an address off loopback. */
export function parseMembers(text: string): Member[] {
  return text
    .split(',')
    .filter((part) => part !== '')
    .map((part) => {
      const [id, address] = part.split('=');
      const member = { id: Number(id), address: address ?? '' };
      if (!Number.isSafeInteger(member.id) || member.id <= 0) throw new Error(`bad member id in ${part}`);
      parseLoopbackAddress(member.address);
      return member;
    });
}

export function formatMembers(members: readonly Member[]): string {
  return members.map((member) => `${member.id}=${member.address}`).join(',');
}
