import { ApiKey, Scope } from './api-key';

export interface NewApiKey {
  id: string;
  name: string;
  scope: Scope;
  secretHash: string;
  siteId: string | null;
  origins: string[];
}

export abstract class ApiKeyRepository {
  abstract create(key: NewApiKey): Promise<ApiKey>;
  abstract list(): Promise<ApiKey[]>;
  /** Marks the key revoked; false when no such key exists. */
  abstract revoke(id: string, at: Date): Promise<boolean>;
  /** The active (not revoked) key with this secret hash. */
  abstract findActiveByHash(secretHash: string): Promise<ApiKey | null>;
  /** True when at least one active key exists (the service then requires keys). */
  abstract anyActive(): Promise<boolean>;
  /**
   * Every active `ingest` key, oldest first: their origins are what a CORS preflight (which
   * carries no key) is checked against, and their sites are the ones that accept events
   * addressed by site alone (SITE_ROUTES).
   */
  abstract activeIngestKeys(): Promise<ApiKey[]>;
}
