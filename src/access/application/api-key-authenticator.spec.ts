import { loadConfig } from '../../config';
import { InMemoryApiKeyRepository } from '../adapters/persistence/in-memory-api-key.repository';
import { hashSecret, newSecret } from '../domain/api-key';
import { ApiKeyAuthenticator, MAX_CACHED_KEYS } from './api-key-authenticator';

/** Counts the lookups that reach the repository (the database in production). */
class CountingRepository extends InMemoryApiKeyRepository {
  lookups = 0;
  override async findActiveByHash(secretHash: string) {
    this.lookups += 1;
    return super.findActiveByHash(secretHash);
  }
}

describe('ApiKeyAuthenticator cache', () => {
  it('keeps a valid key cached while more than its capacity of random wrong keys pass through', async () => {
    const keys = new CountingRepository();
    const secret = newSecret();
    await keys.create({ id: 'k1', name: 'k', scope: 'write', secretHash: hashSecret(secret) });
    const authenticator = new ApiKeyAuthenticator(keys, loadConfig({ REQUIRE_API_KEYS: 'true' }));
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
