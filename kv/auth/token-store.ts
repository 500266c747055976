/**
 * etcd's "simple" tokens on one member: an opaque string (random letters, `.`, the Raft
 * index of the `Authenticate` entry) standing for a user until it goes unused for the TTL
 * (`--auth-token-ttl`, each use extends it, as etcd's token keeper does).
 *
 * Tokens are assigned when the `Authenticate` entry is applied, so every member that
 * applies it knows the token, and a client may use it on any member (etcd 3.4 does the
 * same: a request forwarded to the leader carries its client's token there). They are not
 * part of the replicated state: not in snapshots, gone on restart (replaying the log after
 * the last snapshot assigns again only the tokens whose TTL has not run out since they
 * were issued), and a member that installs a snapshot does not learn the tokens issued in
 * the entries it skipped. A client told "invalid auth token" authenticates again.
 */
import { randomInt } from 'node:crypto';
import { MAX_AUTH_TOKENS, SIMPLE_TOKEN_PREFIX_LETTERS } from './constants.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A simple token's random part (etcd's: letters), chosen by the member that checked the password. */
export function newTokenPrefix(): string {
  let prefix = '';
  for (let i = 0; i < SIMPLE_TOKEN_PREFIX_LETTERS; i++) prefix += LETTERS[randomInt(LETTERS.length)];
  return prefix;
}

interface TokenEntry {
  readonly user: string;
  expiresAtMs: number;
}

export interface TokenStoreOptions {
  /** This member's clock, in epoch ms. */
  readonly now: () => number;
  readonly ttlMs: number;
  /** Default `MAX_AUTH_TOKENS`. */
  readonly maxTokens?: number;
}

export class TokenStore {
  /** Least recently used first (a use moves an entry to the end). */
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly maxTokens: number;

  constructor(private readonly options: TokenStoreOptions) {
    this.maxTokens = options.maxTokens ?? MAX_AUTH_TOKENS;
  }

  /** Records `token` for `user`, unless it was issued (by the proposer's clock) longer than a TTL ago. */
  assign(token: string, user: string, issuedAtMs: number): void {
    const now = this.options.now();
    if (issuedAtMs + this.options.ttlMs <= now) return;
    this.tokens.delete(token);
    while (this.tokens.size >= this.maxTokens) {
      const oldest = this.tokens.keys().next().value as string;
      this.tokens.delete(oldest);
    }
    this.tokens.set(token, { user, expiresAtMs: now + this.options.ttlMs });
  }

  /** The user `token` stands for, extending its life; null if unknown or expired. */
  lookup(token: string): string | null {
    const entry = this.tokens.get(token);
    if (entry === undefined) return null;
    const now = this.options.now();
    this.tokens.delete(token);
    if (entry.expiresAtMs <= now) return null;
    entry.expiresAtMs = now + this.options.ttlMs;
    this.tokens.set(token, entry);
    return entry.user;
  }

  /** Forgets every token of `user` (deleted, or a new password). */
  revokeUser(user: string): void {
    for (const [token, entry] of this.tokens) if (entry.user === user) this.tokens.delete(token);
  }

  /** Forgets every token (auth disabled). */
  clear(): void {
    this.tokens.clear();
  }

  get size(): number {
    return this.tokens.size;
  }
}
