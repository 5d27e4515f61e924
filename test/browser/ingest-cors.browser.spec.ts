import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import { describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * A public ingestion key used by real Chromium from web pages of other origins: the browser's
 * own CORS checks (preflight included) let the key's origin record events and read the answer,
 * and stop every other origin, and every read, before the page sees anything.
 */
jest.setTimeout(90_000);

/** A site of its own origin (another port of 127.0.0.1) serving one empty page. */
async function startSite(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>site</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** fetch() run by the page: the status and body it could read, or the error the browser gave it. */
async function pageFetch(page: Page, url: string, init: { method: string; headers?: Record<string, string>; body?: string }) {
  return page.evaluate(
    async ([url, init]) => {
      try {
        const res = await fetch(url, init);
        return { status: res.status, body: await res.text(), error: null };
      } catch (error) {
        return { status: 0, body: '', error: String(error) };
      }
    },
    [url, init] as const,
  );
}

describeBrowser('public ingestion keys in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let allowed: { origin: string; server: Server };
  let other: { origin: string; server: Server };
  const secret = newSecret();

  beforeAll(async () => {
    service = await startBrowserService();
    allowed = await startSite();
    other = await startSite();
    await service.app.get(ApiKeyRepository).create({
      id: randomUUID(), name: 'shop', scope: 'ingest', secretHash: hashSecret(secret), siteId: 'shop', origins: [allowed.origin],
    });
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));
  });
  afterAll(async () => {
    await service?.db.query('TRUNCATE api_keys');
    await service?.close();
    allowed?.server.close();
    other?.server.close();
  });

  const openAt = async (origin: string) => {
    const page = await chromium.browser.newPage();
    await page.goto(`${origin}/`);
    return page;
  };
  const record = (page: Page, body: object) =>
    pageFetch(page, `${service.url}/api/event`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': secret }, body: JSON.stringify(body) });

  it('records an event from the key origin (after a real preflight) and lets the page read the answer', async () => {
    const page = await openAt(allowed.origin);
    try {
      const res = await record(page, { user_id: 'visitor-1', action: 'page_view', path: '/cart' });
      expect(res.error).toBeNull();
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'created' });
      // Bearer works the same way.
      const bearer = await pageFetch(page, `${service.url}/api/events/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
        body: JSON.stringify({ events: [{ user_id: 'visitor-2', action: 'page_view' }] }),
      });
      expect(bearer.status).toBe(200);
      // Another site's id: the page reads the 403 that says why.
      const foreign = await record(page, { user_id: 'visitor-1', action: 'page_view', site_id: 'blog' });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toContain('foreign-site');
      // Reads are not answered to the page at all: their preflight is refused.
      const read = await pageFetch(page, `${service.url}/api/events`, { method: 'GET', headers: { 'X-API-Key': secret } });
      expect(read.error).toMatch(/TypeError/);
    } finally {
      await page.close();
    }
    const rows = await service.db.query(`SELECT user_id, site_id FROM events ORDER BY user_id`);
    expect(rows).toEqual([{ user_id: 'visitor-1', site_id: 'shop' }, { user_id: 'visitor-2', site_id: 'shop' }]);
  });

  it('is refused by the browser on a page of another origin, and records nothing', async () => {
    await service.db.query('TRUNCATE events, event_ids');
    const page = await openAt(other.origin);
    try {
      const res = await record(page, { user_id: 'intruder', action: 'page_view' });
      expect(res.error).toMatch(/TypeError/);
      expect(res.status).toBe(0);
    } finally {
      await page.close();
    }
    expect(await service.db.query(`SELECT user_id FROM events`)).toEqual([]);
  });
});
