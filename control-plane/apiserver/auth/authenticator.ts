/**
 * Authentication, in Kubernetes' order: a client certificate that verified against the
 * trusted CA names the user (CN) and groups (O, each one a group); else a bearer token
 * (`Authorization: Bearer <token>`, the HTTP header or the gRPC metadata key
 * `authorization`) names the user of its line in the token file; else the request is
 * anonymous (`system:anonymous` in `system:unauthenticated`), which authorization then
 * judges. A bearer token that is not known, or a certificate that did not verify, is 401
 * `Unauthorized`: credentials given must be good ones, or the client learns nothing.
 */
import { ApiError } from '../errors.js';
import { ANONYMOUS, authenticated } from './user-info.js';
import type { UserInfo } from './user-info.js';

/** What a request presented. */
export interface Credentials {
  /** The subject of the client certificate, when one was presented and verified. */
  readonly certificateSubject?: { readonly CN?: string | readonly string[]; readonly O?: string | readonly string[] };
  /** A client certificate was presented but did not verify against the trusted CA. */
  readonly certificateRejected?: boolean;
  /** The `Authorization` header's value (or the gRPC `authorization` metadata). */
  readonly authorization?: string;
}

/** Kubernetes' answer to bad credentials: a bare `Unauthorized`, saying nothing of why. */
export function unauthorized(): ApiError {
  return new ApiError('Unauthorized', 'Unauthorized');
}

export class Authenticator {
  /** `tokens`: bearer token → user (the token file's lines, and the in-process clients' token). */
  constructor(private readonly tokens: ReadonlyMap<string, UserInfo>) {}

  /** The user the credentials stand for; throws 401 for credentials that are given but not good. */
  authenticate(credentials: Credentials): UserInfo {
    const subject = credentials.certificateSubject;
    // A subject with several CNs names its user with the first, as Go's x509 does.
    const commonName = typeof subject?.CN === 'string' ? subject.CN : subject?.CN?.[0];
    if (commonName !== undefined && commonName !== '') {
      const organizations = subject?.O === undefined ? [] : typeof subject.O === 'string' ? [subject.O] : [...subject.O];
      return authenticated({ name: commonName, groups: organizations });
    }
    const token = bearerToken(credentials.authorization);
    if (token !== undefined) {
      const user = this.tokens.get(token);
      if (user === undefined) throw unauthorized();
      return authenticated(user);
    }
    if (credentials.certificateRejected === true) throw unauthorized();
    return ANONYMOUS;
  }
}

/** The token of `Bearer <token>`; undefined for another scheme or an empty token (no opinion, as Kubernetes). */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  return match === null ? undefined : match[1];
}
