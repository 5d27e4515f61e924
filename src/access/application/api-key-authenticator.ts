import { Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { AppConfig } from '../../config';
import { LruCache } from '../../shared/lru-cache';
import { ApiKeyChange, ApiKeyChanges, NoApiKeyChanges } from './api-key-changes';
import { AuthFailureBudget } from './auth-failure-budget';
import {
  ApiKey,
  ForeignOriginError,
  hashSecret,
  IngestKeyRouteError,
  InsufficientScopeError,
  MissingApiKeyError,
  NoPublicSiteKeyError,
  Scope,
  scopeAllows,
  TooManyAuthFailuresError,
} from '../domain/api-key';
import { ApiKeyRepository } from '../domain/api-key.repository';

/**
 * How long a lookup is trusted. A revocation (or the first key created) is announced to every
 * process at once (ApiKeyChanges); this is the bound when that announcement is missed.
 */
export const KEY_CACHE_MS = 2000;
/** Entries per cache: valid keys and unknown secrets are cached apart, each least recently used out first. */
export const MAX_CACHED_KEYS = 10_000;

export type AccessMode = 'open' | 'keys';

/**
 * Decides, for every request, whether its key may use the route. While no key exists and
 * REQUIRE_API_KEYS is false the service is open (and says so loudly); once a key exists, or
 * with REQUIRE_API_KEYS=true, every protected route needs a key with the right scope.
 * Lookups are cached briefly so that the hot path does not query the database per request.
 * Valid keys and unknown secrets have separate bounded LRU caches, so a flood of random
 * secrets can only evict other unknown secrets, never a key in use.
 * Failed authentications are budgeted per client address (AUTH_FAILURE_LIMIT a minute): beyond
 * it, a key that is not cached as valid is refused with 429 before it is looked up. A lookup
 * counts as a failure from the moment it starts (and is forgiven if the key is valid), so
 * concurrent guesses cannot overrun the budget; concurrent lookups of one secret are one lookup.
 * Key changes announced by any process (ApiKeyChanges) drop what they affect from the caches
 * at once; a lookup that was under way when a change arrived is answered but not cached, since
 * it may have read the key before the change.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnApplicationBootstrap {
  private readonly logger = new Logger('Access');
  private known = new LruCache<string, { key: ApiKey; until: number }>(MAX_CACHED_KEYS);
  private readonly unknown = new LruCache<string, { until: number }>(MAX_CACHED_KEYS);
  private readonly inflight = new Map<string, Promise<ApiKey | null>>();
  private readonly failures: AuthFailureBudget;
  private anyActive: { value: boolean; until: number } | null = null;
  private ingestKeys: { origins: Set<string>; bySite: Map<string, ApiKey[]>; until: number } | null = null;
  /** Grows with every change heard: a lookup caches its result only if none arrived meanwhile. */
  private generation = 0;
  private watching = false;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly config: AppConfig,
    @Optional() private readonly changes: ApiKeyChanges = new NoApiKeyChanges(),
  ) {
    this.failures = new AuthFailureBudget(config.authFailureLimit);
  }

  /** Drops from the caches what a key change made wrong (public for the tests of this class). */
  keyChanged(change: ApiKeyChange): void {
    this.generation += 1;
    this.anyActive = null;
    this.ingestKeys = null;
    this.inflight.clear(); // later requests look up afresh rather than join a lookup from before the change
    // Revocations are rare: every valid key is looked up again once, rather than indexing the cache by key id.
    if (change.kind !== 'created') this.known = new LruCache(MAX_CACHED_KEYS);
  }

  /** Listening starts with the first request that needs a decision (a CLI context never opens it). */
  private watchChanges(): void {
    if (this.watching) return;
    this.watching = true;
    this.changes.watch((change) => this.keyChanged(change));
  }

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.mode().catch(() => 'keys')) === 'open') {
      this.logger.warn(
        'NO API KEY EXISTS: every route is open to anyone who can reach this port. ' +
          'Create one with `npm run keys -- create --name <name> --scope admin`, or set REQUIRE_API_KEYS=true.',
      );
    }
  }

  async mode(): Promise<AccessMode> {
    if (this.config.requireApiKeys) return 'keys';
    const now = Date.now();
    if (!this.anyActive || this.anyActive.until < now) {
      const generation = this.generation;
      const value = await this.keys.anyActive();
      if (generation !== this.generation) return value ? 'keys' : 'open';
      this.anyActive = { value, until: now + KEY_CACHE_MS };
    }
    return this.anyActive.value ? 'keys' : 'open';
  }

  /**
   * Resolves with the key used (null in open mode); throws 401/403 domain errors, and 429 when
   * `client` (the caller's address) has used up its failed-authentication budget. An `ingest`
   * key is allowed only where `ingestRoute` (a route that records events).
   */
  async authorize(secret: string | undefined, required: Scope, client = 'unknown', ingestRoute = false): Promise<ApiKey | null> {
    this.watchChanges();
    if ((await this.mode()) === 'open') return null;
    if (!secret) throw new MissingApiKeyError();
    const key = await this.lookup(secret, client);
    if (!key) throw new MissingApiKeyError('The API key is unknown or revoked.');
    if (!scopeAllows(key.scope, required, ingestRoute)) throw key.scope === 'ingest' ? new IngestKeyRouteError() : new InsufficientScopeError(required);
    return key;
  }

  /**
   * Whether some active `ingest` key lists this origin: a CORS preflight carries no key, so it
   * is answered for the origins of all of them (the real request is then checked against its
   * own key's origins). Cached like key lookups and dropped on every key change heard.
   */
  async isIngestOrigin(origin: string): Promise<boolean> {
    return (await this.activeIngestKeys()).origins.has(origin);
  }

  /**
   * The key a request that names only its site stands for (SITE_ROUTES: Umami's `website`,
   * Plausible's `d`, our tracker's `site` — SDKs that send no key). A site accepts such events
   * exactly when it has an active public ingestion key, whose secret is public anyway: the
   * oldest of its keys that lists the request's origin (a browser), or its oldest key (no
   * Origin: a server). Null in open mode. 401 when the site has no ingest key, 403 when none
   * lists the origin; `field` names where the request named its site.
   */
  async authorizeSite(site: string, origin: string | undefined, field: string): Promise<ApiKey | null> {
    this.watchChanges();
    if ((await this.mode()) === 'open') return null;
    const keys = (await this.activeIngestKeys()).bySite.get(site) ?? [];
    if (keys.length === 0) throw new NoPublicSiteKeyError(site, field);
    const key = origin === undefined ? keys[0] : keys.find((candidate) => candidate.origins.includes(origin));
    if (!key) throw new ForeignOriginError(origin!);
    return key;
  }

  private async activeIngestKeys(): Promise<{ origins: Set<string>; bySite: Map<string, ApiKey[]> }> {
    this.watchChanges();
    const now = Date.now();
    if (this.ingestKeys && this.ingestKeys.until >= now) return this.ingestKeys;
    const generation = this.generation;
    const keys = await this.keys.activeIngestKeys();
    const bySite = new Map<string, ApiKey[]>();
    for (const key of keys) bySite.set(key.siteId!, [...(bySite.get(key.siteId!) ?? []), key]);
    const value = { origins: new Set(keys.flatMap((key) => key.origins)), bySite };
    if (generation === this.generation) this.ingestKeys = { ...value, until: now + KEY_CACHE_MS };
    return value;
  }

  /**
   * Who a secret belongs to, whatever its scope (the dashboard asks this to know which actions
   * to offer): the key, or null in open mode; 401 for an unknown or revoked secret, with the
   * same failure budget as every other lookup.
   */
  async identify(secret: string | undefined, client = 'unknown'): Promise<ApiKey | null> {
    this.watchChanges();
    if ((await this.mode()) === 'open') return null;
    if (!secret) throw new MissingApiKeyError();
    const key = await this.lookup(secret, client);
    if (!key) throw new MissingApiKeyError('The API key is unknown or revoked.');
    return key;
  }

  private async lookup(secret: string, client: string): Promise<ApiKey | null> {
    const hash = hashSecret(secret);
    const now = Date.now();
    const valid = this.known.get(hash);
    if (valid && valid.until >= now) return valid.key;
    const retryAfter = this.failures.retryAfter(client, now);
    if (retryAfter > 0) throw new TooManyAuthFailuresError(retryAfter);
    const invalid = this.unknown.get(hash);
    if (invalid && invalid.until >= now) {
      this.failures.recordFailure(client, now);
      return null;
    }
    let pending = this.inflight.get(hash);
    const starts = pending === undefined;
    if (pending === undefined) {
      this.failures.recordFailure(client, now); // forgiven below if the key is valid
      const started = this.find(hash, now);
      const done = () => void (this.inflight.get(hash) === started && this.inflight.delete(hash));
      started.then(done, done);
      this.inflight.set(hash, started);
      pending = started;
    }
    let key: ApiKey | null;
    try {
      key = await pending;
    } catch (error) {
      if (starts) this.failures.forgive(client); // the database failed, not the client
      throw error;
    }
    if (key && starts) this.failures.forgive(client);
    if (!key && !starts) this.failures.recordFailure(client);
    return key;
  }

  private async find(hash: string, now: number): Promise<ApiKey | null> {
    const generation = this.generation;
    const key = await this.keys.findActiveByHash(hash);
    if (generation !== this.generation) return key; // a change arrived meanwhile: the answer may predate it
    if (key) {
      this.known.set(hash, { key, until: now + KEY_CACHE_MS });
      this.unknown.delete(hash);
    } else {
      this.known.delete(hash);
      this.unknown.set(hash, { until: now + KEY_CACHE_MS });
    }
    return key;
  }
}
