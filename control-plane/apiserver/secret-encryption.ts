/**
 * Secrets encrypted at rest, Kubernetes' `aesgcm` provider: a value is stored as
 * `k8s:enc:aesgcm:v1:<key name>:` + a random 12-byte nonce + the AES-GCM ciphertext of the
 * object's JSON + its 16-byte tag, the KV key being the authenticated data (a value copied
 * under another key does not decrypt). The first key of the key file encrypts; every key
 * decrypts, by the name the value carries, so that keys rotate without downtime:
 *
 * 1. put the new key first in the key file (the old one after it) and restart the API
 *    servers: new writes use the new key, old values still read;
 * 2. rewrite every secret (`--rewrite-secrets` at start, or any update of each secret): a
 *    value not under the first key is always rewritten, even when nothing else changed;
 * 3. drop the old key from the file and restart.
 *
 * The key file is JSON or YAML:
 * `{"keys": [{"name": "key2", "secret": "<base64 of 16, 24 or 32 bytes>"}, ...], "identity": true}`;
 * `identity: true` also reads values stored unencrypted (written before encryption was on).
 * Without a key file the API server stores plaintext and reads plaintext only (Kubernetes'
 * identity provider); an encrypted value then is a 500 naming the key it needs.
 *
 * Error messages name the KV key and the encryption key's name, never a secret's value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ApiError } from './errors.js';

/** What every value the aesgcm provider writes starts with, before the key's name. */
export const AESGCM_PREFIX = 'k8s:enc:aesgcm:v1:';
/** GCM's standard nonce size (Kubernetes' aesgcm uses a random one per write). */
export const AESGCM_NONCE_BYTES = 12;
export const AESGCM_TAG_BYTES = 16;
/** AES-128, -192 and -256: the key sizes the aesgcm provider accepts. */
const KEY_SIZES: readonly number[] = [16, 24, 32];

/** One named key: `secret` is the raw key, 16, 24 or 32 bytes. */
export interface EncryptionKey {
  readonly name: string;
  readonly secret: Buffer;
}

/** A key file that cannot be used (the server refuses to start with it). */
export class EncryptionConfigError extends Error {
  readonly code = 'EncryptionConfigError';
}

/** A stored value in the clear, and whether it should be rewritten (not under the first key). */
export interface OpenedValue {
  readonly value: Buffer;
  readonly stale: boolean;
}

export class SecretEncryption {
  /** No keys: plaintext written and read; an encrypted value is an error. */
  static readonly identity = new SecretEncryption([], true);

  private readonly byName: ReadonlyMap<string, Buffer>;

  /**
   * `keys[0]` encrypts (none: values are stored as they are); all decrypt. `identity`: values
   * without the aesgcm prefix are read as plaintext.
   */
  constructor(
    readonly keys: readonly EncryptionKey[],
    readonly identity: boolean,
  ) {
    this.byName = new Map(keys.map((key) => [key.name, key.secret]));
  }

  /** Reads a key file (JSON or YAML; see the module comment). Throws EncryptionConfigError. */
  static async fromFile(path: string): Promise<SecretEncryption> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new EncryptionConfigError(`cannot read the encryption key file ${path}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (error) {
      throw new EncryptionConfigError(`the encryption key file ${path} is not JSON or YAML: ${(error as Error).message}`);
    }
    return SecretEncryption.fromConfig(parsed, path);
  }

  /** Checks a parsed key file: names unique and without ':', secrets base64 of 16, 24 or 32 bytes. */
  static fromConfig(config: unknown, source = 'the encryption key file'): SecretEncryption {
    const fail = (why: string): never => {
      throw new EncryptionConfigError(`${source}: ${why}`);
    };
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return fail('must be an object with "keys"');
    const { keys, identity } = config as { keys?: unknown; identity?: unknown };
    if (identity !== undefined && typeof identity !== 'boolean') fail('"identity" must be true or false');
    if (!Array.isArray(keys) || keys.length === 0) return fail('"keys" must be a non-empty list of {name, secret}');
    const seen = new Set<string>();
    const parsed = keys.map((entry: unknown, index): EncryptionKey => {
      const { name, secret } = (typeof entry === 'object' && entry !== null ? entry : {}) as { name?: unknown; secret?: unknown };
      if (typeof name !== 'string' || name === '' || name.includes(':')) return fail(`keys[${index}].name must be a non-empty string without ':'`);
      if (seen.has(name)) fail(`keys[${index}].name "${name}" is used twice`);
      seen.add(name);
      // Never echo the secret: only its position and name.
      if (typeof secret !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(secret)) return fail(`keys[${index}] ("${name}"): secret must be base64`);
      const raw = Buffer.from(secret, 'base64');
      if (!KEY_SIZES.includes(raw.length)) fail(`keys[${index}] ("${name}"): secret must be 16, 24 or 32 bytes, got ${raw.length}`);
      return { name, secret: raw };
    });
    return new SecretEncryption(parsed, identity === true);
  }

  /** The value to store for `plaintext` under KV key `key`: encrypted with the first key, if any. */
  seal(key: Buffer, plaintext: Buffer): Buffer {
    const first = this.keys[0];
    if (first === undefined) return plaintext;
    const nonce = randomBytes(AESGCM_NONCE_BYTES);
    const cipher = createCipheriv(aesGcm(first.secret), first.secret, nonce, { authTagLength: AESGCM_TAG_BYTES });
    cipher.setAAD(key);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from(`${AESGCM_PREFIX}${first.name}:`), nonce, body, cipher.getAuthTag()]);
  }

  /** The plaintext of a value stored under `key`. Throws ApiError 500 when it cannot be read. */
  open(key: Buffer, stored: Buffer): OpenedValue {
    const where = key.toString('utf8');
    const prefix = Buffer.from(AESGCM_PREFIX);
    if (stored.subarray(0, prefix.length).compare(prefix) !== 0) {
      if (!this.identity) throw ApiError.internal(`the value of ${where} is not encrypted, and the encryption key file does not allow reading unencrypted values ("identity": true)`);
      return { value: stored, stale: this.keys.length > 0 };
    }
    const colon = stored.indexOf(0x3a /* : */, prefix.length);
    if (colon < 0) throw ApiError.internal(`the value of ${where} has the aesgcm prefix but no key name`);
    const name = stored.subarray(prefix.length, colon).toString('utf8');
    const secret = this.byName.get(name);
    if (secret === undefined) {
      const why = this.keys.length === 0 ? 'this API server has no encryption key file' : 'the encryption key file has no such key';
      throw ApiError.internal(`the value of ${where} is encrypted with key "${name}": ${why}`);
    }
    const data = stored.subarray(colon + 1);
    if (data.length < AESGCM_NONCE_BYTES + AESGCM_TAG_BYTES) throw ApiError.internal(`the value of ${where} is too short to be aesgcm-encrypted`);
    const decipher = createDecipheriv(aesGcm(secret), secret, data.subarray(0, AESGCM_NONCE_BYTES), { authTagLength: AESGCM_TAG_BYTES });
    decipher.setAAD(key);
    decipher.setAuthTag(data.subarray(data.length - AESGCM_TAG_BYTES));
    try {
      const value = Buffer.concat([decipher.update(data.subarray(AESGCM_NONCE_BYTES, data.length - AESGCM_TAG_BYTES)), decipher.final()]);
      return { value, stale: name !== this.keys[0]!.name };
    } catch {
      throw ApiError.internal(`the value of ${where} does not decrypt with key "${name}" (a different key under that name, or the value was altered)`);
    }
  }

  /** Whether a stored value is not what `seal` would write now (a rewrite moves it to the first key). */
  isStale(stored: Buffer): boolean {
    const first = this.keys[0];
    if (first === undefined) return false;
    const current = Buffer.from(`${AESGCM_PREFIX}${first.name}:`);
    return stored.subarray(0, current.length).compare(current) !== 0;
  }
}

function aesGcm(secret: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return `aes-${secret.length * 8}-gcm` as 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
}
