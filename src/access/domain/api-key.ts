import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../shared/errors';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  createdAt: Date;
  revokedAt: Date | null;
}

/** `admin` may do everything; `read` and `write` only their own kind of route. */
export function scopeAllows(granted: Scope, required: Scope): boolean {
  return granted === 'admin' || granted === required;
}

const PREFIX = 'tsk_';

/** A new secret: 256 random bits, recognisable by its prefix (secret scanners, logs). */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** What is stored: a SHA-256 of the secret (high-entropy secrets need no slow hash). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class MissingApiKeyError extends DomainError {
  readonly code = 'unauthenticated';
  readonly kind = 'unauthenticated';
  constructor(detail = 'Send a valid API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".') {
    super(detail);
  }
}

export class InsufficientScopeError extends DomainError {
  readonly code = 'forbidden';
  readonly kind = 'forbidden';
  constructor(required: Scope) {
    super(`This route needs an API key with the "${required}" scope (or "admin").`);
  }
}

export class ApiKeyNotFoundError extends DomainError {
  readonly code = 'api-key-not-found';
  readonly kind = 'not_found';
  constructor(id: string) {
    super(`No API key with id ${id}.`);
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate-limited';
  readonly kind = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; retry in ${retryAfterSeconds} s.`);
  }
}

export class TooManyAuthFailuresError extends DomainError {
  readonly code = 'too-many-auth-failures';
  readonly kind = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentications from this address; retry in ${retryAfterSeconds} s.`);
  }
}
