import { ApiKey, Scope } from '../../domain/api-key';
import { ApiKeyRepository } from '../../domain/api-key.repository';

export class InMemoryApiKeyRepository extends ApiKeyRepository {
  private readonly keys: Array<ApiKey & { secretHash: string }> = [];

  async create(key: { id: string; name: string; scope: Scope; secretHash: string }): Promise<ApiKey> {
    const stored = { ...key, createdAt: new Date(), revokedAt: null };
    this.keys.push(stored);
    return strip(stored);
  }

  async list(): Promise<ApiKey[]> {
    return this.keys.map(strip);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const key = this.keys.find((k) => k.id === id);
    if (!key) return false;
    key.revokedAt ??= at;
    return true;
  }

  async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
    const key = this.keys.find((k) => k.secretHash === secretHash && k.revokedAt === null);
    return key ? strip(key) : null;
  }

  async anyActive(): Promise<boolean> {
    return this.keys.some((k) => k.revokedAt === null);
  }
}

function strip({ secretHash: _hash, ...key }: ApiKey & { secretHash: string }): ApiKey {
  return { ...key };
}
