import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../shared/errors';

/**
 * `ingest` is the public ingestion key: safe to publish in a web page, it may only record
 * events, only for its site, and is answered CORS only for its origins.
 */
export type Scope = 'read' | 'write' | 'admin' | 'ingest';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin', 'ingest'];

export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  /** The site every event of an `ingest` key is stored for; null for the other scopes. */
  siteId: string | null;
  /** Origins (scheme://host[:port]) a browser may use an `ingest` key from; empty for the other scopes. */
  origins: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * `admin` may do everything; `read` and `write` only their own kind of route; `ingest` only
 * the routes that record events (`ingestRoute`), which otherwise need `write`.
 */
export function scopeAllows(granted: Scope, required: Scope, ingestRoute = false): boolean {
  if (granted === 'ingest') return ingestRoute && required === 'write';
  return granted === 'admin' || granted === required;
}

/** A site id as events carry it: 1 to 128 characters, no control characters. */
export function isSiteId(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return value.length >= 1 && value.length <= 128 && !/[\u0000-\u001f\u007f]/.test(value);
}

/**
 * The origin a browser sends (scheme://host[:port], lowercase host, no default port) for an
 * http(s) origin written by an operator, or null when it is not one (a path, query, user or
 * another scheme). A trailing "/" is tolerated.
 */
export function normalizeOrigin(text: string): string | null {
  if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.origin;
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

/** An `ingest` key on a route that does anything but record events. */
export class IngestKeyRouteError extends DomainError {
  readonly code = 'ingest-key-route';
  readonly kind = 'forbidden';
  constructor() {
    super('A public ingestion key (scope "ingest") may only record events: POST /api/event, POST /api/events/batch, and the compatibility and SDK routes that record events (the README lists them under "Public ingestion keys").');
  }
}

/** An `ingest` key sending an event for another site than its own. */
export class ForeignSiteError extends DomainError {
  readonly code = 'foreign-site';
  readonly kind = 'forbidden';
  constructor(field: string, site: string) {
    super(`This key records events for site "${site}" only: ${field} names another site (leave it out or send "${site}"). Nothing was stored.`);
  }
}

/** An `ingest` key used by a web page whose origin the key does not list. */
export class ForeignOriginError extends DomainError {
  readonly code = 'foreign-origin';
  readonly kind = 'forbidden';
  constructor(origin: string) {
    super(`This key may not be used from the origin ${JSON.stringify(origin.slice(0, 200))}: it is not among the key's origins.`);
  }
}

/** A request that names only its site (SITE_ROUTES), for a site that has no public ingestion key. */
export class NoPublicSiteKeyError extends DomainError {
  readonly code = 'no-public-key';
  readonly kind = 'unauthenticated';
  constructor(site: string, field: string) {
    super(
      `${field} names the site ${JSON.stringify(site.slice(0, 128))}, which accepts events without an API key only once it has a public ingestion key ` +
        `(npm run keys -- create --name web --scope ingest --site <site> --origin https://…); or send an API key.`,
    );
  }
}

/** A key to create whose site or origins break the rules (the CLI checks first; this guards every caller). */
export class InvalidIngestKeyError extends DomainError {
  readonly code = 'invalid-api-key';
  readonly kind = 'invalid';
  constructor(reason: string) {
    super(`Invalid API key: ${reason}.`);
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
