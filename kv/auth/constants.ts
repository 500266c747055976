/**
 * The auth package's limits and etcd's numbers (units in the names), checked at load.
 */

/** etcd's `--auth-token-ttl` default: a simple token unused this long is forgotten. */
export const DEFAULT_AUTH_TOKEN_TTL_SECONDS = 300;

/** Random letters before the `.<index>` of a simple token (etcd's length). */
export const SIMPLE_TOKEN_PREFIX_LETTERS = 16;

/**
 * Live tokens a member keeps; past it, the least recently used is forgotten (its client
 * authenticates again). Bounds what a flood of `Authenticate` calls can hold.
 */
export const MAX_AUTH_TOKENS = 100_000;

/** scrypt's parameters for new password hashes (N, r, p): 16 MiB and tens of ms per hash. */
export const SCRYPT_COST = 16_384;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELISM = 1;
export const PASSWORD_SALT_BYTES = 16;
export const PASSWORD_HASH_BYTES = 32;

/** The user and the role that may do everything once auth is on. */
export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`kv/auth constants: ${what}`);
}

check(DEFAULT_AUTH_TOKEN_TTL_SECONDS > 0, 'tokens must live a while');
check(MAX_AUTH_TOKENS >= 1, 'a member must hold at least one token');
check(Number.isInteger(Math.log2(SCRYPT_COST)), "scrypt's cost must be a power of two");
check(PASSWORD_SALT_BYTES >= 16 && PASSWORD_HASH_BYTES >= 32, 'salts and hashes must be long enough');
