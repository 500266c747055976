/**
 * Password hashes: scrypt (Node's crypto) with a random salt per password. The member that
 * receives `user add` or `user passwd` hashes the password before proposing, so the
 * plaintext is never in the Raft log, a snapshot or the auth store (etcd 3.4 logs it and
 * hashes it with bcrypt on every member; 3.5 moved the hashing to the receiving member, as
 * here). A hash is a self-describing string, `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64),
 * so that its parameters can change without invalidating older hashes.
 *
 * Checking costs about as much as bcrypt's cost 10 (tens of milliseconds, 16 MiB): slow
 * on purpose, and run on libuv's thread pool, not the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { PASSWORD_HASH_BYTES, PASSWORD_SALT_BYTES, SCRYPT_BLOCK_SIZE, SCRYPT_COST, SCRYPT_PARALLELISM } from './constants.js';

const SCHEME = 'scrypt';

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Room for N = 2^17 at r = 8 (128 MiB) so that stronger parameters stay checkable.
    scrypt(password, salt, length, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(PASSWORD_SALT_BYTES);
  const options = { N: SCRYPT_COST, r: SCRYPT_BLOCK_SIZE, p: SCRYPT_PARALLELISM };
  const key = await derive(password, salt, PASSWORD_HASH_BYTES, options);
  return [SCHEME, options.N, options.r, options.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` is the one `hash` was made from. A hash in an unknown form matches nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!Number.isSafeInteger(N) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length === 0) return false;
  const actual = await derive(password, salt, expected.length, { N: N!, r: r!, p: p! });
  return timingSafeEqual(actual, expected);
}
