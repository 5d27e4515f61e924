import { loadConfig } from '../../config';
import { ApiKey, hashSecret, newSecret, Scope } from '../domain/api-key';
import { ApiKeyRepository } from '../domain/api-key.repository';
import { ApiKeyAuthenticator, MAX_CACHED_KEYS } from './api-key-authenticator';

/**
 * The lookups that reach the repository (the database in production), counted. Only what the
 * authenticator calls is real here; the key store itself is tested against PostgreSQL (e2e).
 */
class CountingRepository extends ApiKeyRepository {
  lookups = 0;
  private readonly keys = new Map<string, ApiKey>();
  async create(key: { id: string; name: string; scope: Scope; secretHash: string; siteId?: string | null; origins?: string[] }): Promise<ApiKey> {
    const stored = { id: key.id, name: key.name, scope: key.scope, siteId: key.siteId ?? null, origins: key.origins ?? [], createdAt: new Date(), revokedAt: null };
    this.keys.set(key.secretHash, stored);
    return stored;
  }
  async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
    this.lookups += 1;
    return this.keys.get(secretHash) ?? null;
  }
  async anyActive(): Promise<boolean> {
    return this.keys.size > 0;
  }
  async activeIngestKeys(): Promise<ApiKey[]> {
    this.lookups += 1;
    return [...this.keys.values()].filter((k) => k.scope === 'ingest' && k.revokedAt === null);
  }
  list(): Promise<ApiKey[]> {
    throw new Error('not used by the authenticator');
  }
  revoke(): Promise<boolean> {
    throw new Error('not used by the authenticator');
  }
}

describe('ApiKeyAuthenticator cache', () => {
  it('keeps a valid key cached while more than its capacity of random wrong keys pass through', async () => {
    const keys = new CountingRepository();
    const secret = newSecret();
    await keys.create({ id: 'k1', name: 'k', scope: 'write', secretHash: hashSecret(secret) });
    const authenticator = new ApiKeyAuthenticator(keys, loadConfig({ REQUIRE_API_KEYS: 'true', AUTH_FAILURE_LIMIT: '0' }));
    // All within one instant, so that no entry expires (KEY_CACHE_MS) during the flood.
    jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-01-01T00:00:00Z'));

    await expect(authenticator.authorize(secret, 'write')).resolves.toMatchObject({ id: 'k1' });
    expect(keys.lookups).toBe(1);
    const refused = new Set<string>();
    for (let i = 0; i < MAX_CACHED_KEYS + 2_000; i++) {
      await authenticator.authorize(`tsk_wrong-${i}`, 'write').catch((error: Error) => refused.add(error.message));
    }
    expect([...refused]).toEqual(['The API key is unknown or revoked.']);
    expect(keys.lookups).toBe(1 + MAX_CACHED_KEYS + 2_000);
    // Still cached: no lookup for the valid key.
    await expect(authenticator.authorize(secret, 'write')).resolves.toMatchObject({ id: 'k1' });
    expect(keys.lookups).toBe(1 + MAX_CACHED_KEYS + 2_000);
    // The most recent wrong keys are still cached too; the oldest were evicted.
    await expect(authenticator.authorize(`tsk_wrong-${MAX_CACHED_KEYS + 1_999}`, 'write')).rejects.toThrow();
    expect(keys.lookups).toBe(1 + MAX_CACHED_KEYS + 2_000);
    await expect(authenticator.authorize('tsk_wrong-0', 'write')).rejects.toThrow();
    expect(keys.lookups).toBe(2 + MAX_CACHED_KEYS + 2_000);
  });

  afterEach(() => jest.restoreAllMocks());
});

describe('ApiKeyAuthenticator failed-authentication budget', () => {
  const setUp = async () => {
    const keys = new CountingRepository();
    const secret = newSecret();
    await keys.create({ id: 'k1', name: 'k', scope: 'write', secretHash: hashSecret(secret) });
    return { keys, secret, authenticator: new ApiKeyAuthenticator(keys, loadConfig({ REQUIRE_API_KEYS: 'true', AUTH_FAILURE_LIMIT: '5' })) };
  };
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );

  it('holds concurrent guesses from one address to the budget: the rest are refused without a lookup', async () => {
    const { keys, secret, authenticator } = await setUp();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => outcome(authenticator.authorize(`tsk_guess-${i}`, 'write', '192.0.2.1'))));
    expect(answers.filter((a) => a === 'unauthenticated')).toHaveLength(5);
    expect(answers.filter((a) => a === 'too-many-auth-failures')).toHaveLength(95);
    expect(keys.lookups).toBe(5);
    // The same secret guessed again is a failure too (answered from the cache).
    expect(await outcome(authenticator.authorize('tsk_guess-0', 'write', '192.0.2.1'))).toBe('too-many-auth-failures');
    // Another address is not affected.
    expect(await outcome(authenticator.authorize('tsk_guess-0', 'write', '192.0.2.2'))).toBe('unauthenticated');
    expect(await outcome(authenticator.authorize(secret, 'write', '192.0.2.2'))).toBe('ok');
    // A valid key that is cached still works from the refused address.
    expect(await outcome(authenticator.authorize(secret, 'write', '192.0.2.1'))).toBe('ok');
  });

  it('looks a valid key up once for concurrent requests, and never counts it as a failure', async () => {
    const { keys, secret, authenticator } = await setUp();
    const answers = await Promise.all(Array.from({ length: 100 }, () => outcome(authenticator.authorize(secret, 'write', '192.0.2.3'))));
    expect(new Set(answers)).toEqual(new Set(['ok']));
    expect(keys.lookups).toBe(1);
    const wrong = [];
    for (let i = 0; i < 6; i++) wrong.push(await outcome(authenticator.authorize(`tsk_x-${i}`, 'write', '192.0.2.3')));
    expect(wrong).toEqual(['unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'too-many-auth-failures']);
  });

  it('does not count a lookup the database failed as a failed authentication', async () => {
    const { keys, authenticator } = await setUp();
    jest.spyOn(keys, 'findActiveByHash').mockRejectedValue(new Error('connection refused'));
    for (let i = 0; i < 10; i++) expect(await outcome(authenticator.authorize(`tsk_y-${i}`, 'write', '192.0.2.4'))).toBeUndefined();
    jest.restoreAllMocks();
    expect(await outcome(authenticator.authorize('tsk_y-0', 'write', '192.0.2.4'))).toBe('unauthenticated');
  });
});

describe('ApiKeyAuthenticator and key changes heard from other processes', () => {
  class RevocableRepository extends CountingRepository {
    revokedIds = new Set<string>();
    gate?: Promise<void>;
    override async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
      const found = await super.findActiveByHash(secretHash);
      const key = found && !this.revokedIds.has(found.id) ? found : null; // read, then answered when the gate opens
      await this.gate;
      return key;
    }
  }
  const setUp = async () => {
    const keys = new RevocableRepository();
    const secret = newSecret();
    await keys.create({ id: 'k1', name: 'k', scope: 'write', secretHash: hashSecret(secret) });
    return { keys, secret, authenticator: new ApiKeyAuthenticator(keys, loadConfig({ REQUIRE_API_KEYS: 'true' })) };
  };

  it('refuses a revoked key as soon as the revocation is heard, not when its cache entry expires', async () => {
    const { keys, secret, authenticator } = await setUp();
    await expect(authenticator.authorize(secret, 'write')).resolves.toMatchObject({ id: 'k1' });
    keys.revokedIds.add('k1');
    // Cached: without the announcement the key still works (until KEY_CACHE_MS).
    await expect(authenticator.authorize(secret, 'write')).resolves.toMatchObject({ id: 'k1' });
    authenticator.keyChanged({ kind: 'revoked', id: 'k1' });
    await expect(authenticator.authorize(secret, 'write')).rejects.toThrow('unknown or revoked');
  });

  it('does not cache a lookup that was under way when a revocation was heard', async () => {
    const { keys, secret, authenticator } = await setUp();
    let open!: () => void;
    keys.gate = new Promise((r) => (open = r));
    const before = authenticator.authorize(secret, 'write');
    await new Promise((r) => setImmediate(r)); // the lookup has read the key, not yet answered
    keys.revokedIds.add('k1');
    authenticator.keyChanged({ kind: 'revoked', id: 'k1' });
    open();
    await expect(before).resolves.toMatchObject({ id: 'k1' }); // asked before the revocation
    keys.gate = undefined;
    await expect(authenticator.authorize(secret, 'write')).rejects.toThrow('unknown or revoked');
  });

  it('drops every cached key when changes may have been missed', async () => {
    const { keys, secret, authenticator } = await setUp();
    await authenticator.authorize(secret, 'write');
    keys.revokedIds.add('k1');
    authenticator.keyChanged({ kind: 'unknown' });
    await expect(authenticator.authorize(secret, 'write')).rejects.toThrow('unknown or revoked');
  });
});

describe('ApiKeyAuthenticator.authorizeSite (requests that name only their site)', () => {
  const SHOP = 'https://shop.example';
  async function withKeys(): Promise<{ authenticator: ApiKeyAuthenticator; keys: CountingRepository }> {
    const keys = new CountingRepository();
    await keys.create({ id: 'write', name: 'w', scope: 'write', secretHash: hashSecret(newSecret()) });
    await keys.create({ id: 'shop-server', name: 's', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'shop' });
    await keys.create({ id: 'shop-web', name: 'b', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'shop', origins: [SHOP] });
    await keys.create({ id: 'blog-web', name: 'b', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'blog', origins: ['https://blog.example'] });
    return { keys, authenticator: new ApiKeyAuthenticator(keys, loadConfig({ AUTH_FAILURE_LIMIT: '0' })) };
  }

  it('stands for the site key that lists the origin, or the oldest one without an origin', async () => {
    const { authenticator } = await withKeys();
    await expect(authenticator.authorizeSite('shop', SHOP, 'd')).resolves.toMatchObject({ id: 'shop-web', siteId: 'shop' });
    await expect(authenticator.authorizeSite('shop', undefined, 'd')).resolves.toMatchObject({ id: 'shop-server' });
    await expect(authenticator.authorizeSite('blog', 'https://blog.example', 'd')).resolves.toMatchObject({ id: 'blog-web' });
  });

  it('refuses a site without an ingest key (401 naming the field) and an origin none of its keys lists (403)', async () => {
    const { authenticator } = await withKeys();
    const refused = authenticator.authorizeSite('docs', SHOP, 'payload.website');
    await expect(refused).rejects.toMatchObject({ kind: 'unauthenticated', code: 'no-public-key', message: expect.stringContaining('payload.website names the site "docs"') });
    // blog's origin is not one of shop's keys' origins, though it is an ingest origin.
    await expect(authenticator.authorizeSite('shop', 'https://blog.example', 'd')).rejects.toMatchObject({ kind: 'forbidden', code: 'foreign-origin' });
  });

  it('is open (null) while no key exists, and reads the keys once per cache period', async () => {
    const open = new ApiKeyAuthenticator(new CountingRepository(), loadConfig({}));
    await expect(open.authorizeSite('any', 'https://x.example', 'd')).resolves.toBeNull();
    const { authenticator, keys } = await withKeys();
    await authenticator.authorizeSite('shop', SHOP, 'd');
    await authenticator.authorizeSite('blog', 'https://blog.example', 'd');
    await authenticator.isIngestOrigin(SHOP);
    expect(keys.lookups).toBe(1);
  });
});
