/** etcd 3.4's authentication and role-based access to keys: the replicated auth store, password hashes and simple tokens. */
export { AuthStore } from './auth-store.js';
export type { AuthEffect, AuthRequest, AuthSnapshot, RoleRecord, UserRecord } from './auth-store.js';
export { DEFAULT_AUTH_TOKEN_TTL_SECONDS, MAX_AUTH_TOKENS, ROOT_ROLE, ROOT_USER } from './constants.js';
export { AuthError, asMaintenanceError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export { hashPassword, verifyPassword } from './password.js';
export { covers, grants } from './permissions.js';
export type { Access, Permission, PermissionType } from './permissions.js';
export { newTokenPrefix, TokenStore } from './token-store.js';
export type { TokenStoreOptions } from './token-store.js';
