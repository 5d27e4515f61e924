import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { KEY_CACHE_MS } from '../../../src/access/application/api-key-authenticator';
import { hashSecret, newSecret, Scope } from '../../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../../src/access/domain/api-key.repository';
import { startTestApp, TestApp } from '../../support/test-app';

/** An event as POST /api/events/batch takes it (see API.md). */
export interface SeedEvent {
  user_id: string | number | null;
  action: string;
  timestamp?: string;
  event_id?: string;
  site_id?: string;
  path?: string;
  metadata?: Record<string, unknown>;
}

export interface BrowserService extends TestApp {
  /** http://127.0.0.1:<port>, where the browser finds the UI and the API. */
  url: string;
  /** Records the events through the API (batches of 1000) and resolves with their ids, in order. */
  seed(events: SeedEvent[], key?: string): Promise<string[]>;
  /** A new API key of this scope, in force for every request once this resolves; the secret. */
  createKey(scope: Scope, name?: string): Promise<string>;
  /** Revokes every key: the service is open again once this resolves. */
  dropKeys(): Promise<void>;
  /** fetch() against the service with an optional key, for the API's view of a page. */
  api<T = unknown>(path: string, key?: string): Promise<T>;
}

/** The authenticator trusts its "does any key exist" answer this long (KEY_CACHE_MS). */
const waitForKeyCache = () => new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));

/**
 * The real service (the production HTTP app, UI included) listening on a free port of
 * 127.0.0.1 against the test database, every table emptied first. The browser needs a real
 * socket; supertest's in-memory requests would not do.
 */
export async function startBrowserService(overrides: Record<string, string> = {}): Promise<BrowserService> {
  const t = await startTestApp(overrides);
  await t.reset();
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const headers = (key?: string): Record<string, string> => ({
    'content-type': 'application/json',
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  });

  const service: BrowserService = {
    ...t,
    url,
    async seed(events, key) {
      const ids: string[] = [];
      for (let i = 0; i < events.length; i += 1000) {
        const batch = events.slice(i, i + 1000).map((e) => ({ event_id: randomUUID(), ...e }));
        const res = await fetch(`${url}/api/events/batch`, { method: 'POST', headers: headers(key), body: JSON.stringify({ events: batch }) });
        const body = (await res.json()) as { rejected: number; results: Array<{ id?: string; status: string; errors?: unknown }> };
        if (!res.ok || body.rejected > 0) throw new Error(`seeding failed (${res.status}): ${JSON.stringify(body).slice(0, 500)}`);
        ids.push(...body.results.map((r) => r.id!));
      }
      return ids;
    },
    async createKey(scope, name = `${scope}-${randomUUID().slice(0, 8)}`) {
      const secret = newSecret();
      await t.app.get(ApiKeyRepository).create({ id: randomUUID(), name, scope, secretHash: hashSecret(secret), siteId: null, origins: [] });
      await waitForKeyCache();
      return secret;
    },
    async dropKeys() {
      await t.db.query('TRUNCATE api_keys');
      await waitForKeyCache();
    },
    async api<T>(path: string, key?: string) {
      const res = await fetch(url + path, { headers: headers(key) });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
  return service;
}
