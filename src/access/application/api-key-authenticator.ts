import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config';
import { LruCache } from '../../shared/lru-cache';
import { AuthFailureBudget } from './auth-failure-budget';
import {
  ApiKey,
  hashSecret,
  InsufficientScopeError,
  MissingApiKeyError,
  Scope,
  scopeAllows,
  TooManyAuthFailuresError,
} from '../domain/api-key';
import { ApiKeyRepository } from '../domain/api-key.repository';

/** How long a lookup is trusted: a key revoked by the CLI stops working within this time. */
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
 */
@Injectable()
export class ApiKeyAuthenticator implements OnApplicationBootstrap {
  private readonly logger = new Logger('Access');
  private readonly known = new LruCache<string, { key: ApiKey; until: number }>(MAX_CACHED_KEYS);
  private readonly unknown = new LruCache<string, { until: number }>(MAX_CACHED_KEYS);
  private readonly inflight = new Map<string, Promise<ApiKey | null>>();
  private readonly failures: AuthFailureBudget;
  private anyActive: { value: boolean; until: number } | null = null;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly config: AppConfig,
  ) {
    this.failures = new AuthFailureBudget(config.authFailureLimit);
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
      this.anyActive = { value: await this.keys.anyActive(), until: now + KEY_CACHE_MS };
    }
    return this.anyActive.value ? 'keys' : 'open';
  }

  /**
   * Resolves with the key used (null in open mode); throws 401/403 domain errors, and 429 when
   * `client` (the caller's address) has used up its failed-authentication budget.
   */
  async authorize(secret: string | undefined, required: Scope, client = 'unknown'): Promise<ApiKey | null> {
    if ((await this.mode()) === 'open') return null;
    if (!secret) throw new MissingApiKeyError();
    const key = await this.lookup(secret, client);
    if (!key) throw new MissingApiKeyError('The API key is unknown or revoked.');
    if (!scopeAllows(key.scope, required)) throw new InsufficientScopeError(required);
    return key;
  }

  /**
   * Who a secret belongs to, whatever its scope (the dashboard asks this to know which actions
   * to offer): the key, or null in open mode; 401 for an unknown or revoked secret, with the
   * same failure budget as every other lookup.
   */
  async identify(secret: string | undefined, client = 'unknown'): Promise<ApiKey | null> {
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
      const done = () => void this.inflight.delete(hash);
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
    const key = await this.keys.findActiveByHash(hash);
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
