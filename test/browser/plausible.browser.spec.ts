import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import { Telemetry } from '../../src/observability/telemetry';
import { eventually } from './support/expect-eventually';
import { describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * Plausible's real tracker (@plausible-analytics/tracker, the npm build of its script) in the
 * dashboard tests' Chromium, on a test page of its own origin whose only change is where the
 * events go (`endpoint`, the script tag's `data-api`) and the site (`domain`, `data-domain`).
 * No API key: the site's public ingestion key lists the page's origin.
 */
jest.setTimeout(90_000);

const TRACKER = readFileSync(require.resolve('@plausible-analytics/tracker'), 'utf8');
/** A desktop Chrome's user agent: headless Chromium's own says HeadlessChrome, which isbot flags. */
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The page of the site being measured: the tracker from its own origin, pointed at the service. */
function pageHtml(endpoint: string): string {
  return `<!doctype html><html><head><title>Shop</title>
<script type="module">
  import { init, track } from '/plausible.js';
  // Plausible's script ignores pages driven by automation (navigator.webdriver) unless the page
  // sets this, and localhost pages unless captureOnLocalhost: a test page needs both.
  window.__plausible = true;
  init({ domain: 'shop', endpoint: ${JSON.stringify(endpoint)}, captureOnLocalhost: true });
  window.signup = () => new Promise((resolve) => track('Signup', { props: { plan: 'pro', seats: 3 }, callback: resolve }));
  window.tracked = true;
</script></head><body style="height: 3000px"><h1>Shop</h1></body></html>`;
}

async function startSite(endpoint: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/plausible.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(TRACKER);
    res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(endpoint));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

type Row = { user_id: string; action: string; site_id: string; path: string; metadata: Record<string, unknown>; occurred_at: Date };

describeBrowser("Plausible's tracker in Chromium", () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let site: { origin: string; server: Server };
  let foreign: { origin: string; server: Server };

  beforeAll(async () => {
    service = await startBrowserService();
    site = await startSite(`${service.url}/plausible/api/event`);
    foreign = await startSite(`${service.url}/plausible/api/event`);
    await service.app.get(ApiKeyRepository).create({
      id: randomUUID(), name: 'shop web', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'shop', origins: [site.origin],
    });
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));
  });
  beforeEach(async () => {
    await service.db.query('TRUNCATE events, event_ids');
  });
  afterAll(async () => {
    await service?.db.query('TRUNCATE api_keys');
    await service?.close();
    site?.server.close();
    foreign?.server.close();
  });

  const rows = (): Promise<Row[]> => service.db.query('SELECT user_id, action, site_id, path, metadata, occurred_at FROM events ORDER BY occurred_at, id');
  const botCount = async () => (await service.app.get(Telemetry).botEventsIgnored.get()).values.find((v) => v.labels.route === 'POST /plausible/api/event')?.value ?? 0;

  async function open(origin: string, path: string, userAgent?: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await chromium.browser.newContext(userAgent ? { userAgent } : {});
    const page = await context.newPage();
    await page.goto(`${origin}${path}`, { referer: 'https://news.example/article' });
    await page.waitForFunction('window.tracked === true');
    return { context, page };
  }

  it('records the page view, a custom event with props and a single-page-app navigation, each once, for the anonymous visitor', async () => {
    const before = Date.now();
    const { context, page } = await open(site.origin, '/pricing?utm_source=newsletter&token=secret', CHROME);
    try {
      await eventually(async () => expect((await rows()).map((r) => r.action)).toEqual(['page_view']));
      // The page reads the answer (202): the key's origin gets CORS.
      const answer = await page.evaluate('window.signup()');
      expect(answer).toEqual({ status: 202 });
      // SPA navigation: the tracker hooks history.pushState (its engagement event for the page left is not stored).
      await page.evaluate("history.pushState({}, '', '/checkout')");
      await eventually(async () => expect((await rows()).map((r) => r.action)).toEqual(['page_view', 'Signup', 'page_view']));
    } finally {
      await context.close();
    }
    const after = Date.now();
    // Nothing more arrives: each event stored exactly once (closing sends only engagement).
    await new Promise((r) => setTimeout(r, 500));
    const stored = await rows();
    expect(stored.map((r) => [r.action, r.site_id, r.path, r.metadata])).toEqual([
      ['page_view', 'shop', '/pricing', { referrer: 'https://news.example/article', utm_source: 'newsletter' }],
      ['Signup', 'shop', '/pricing', { plan: 'pro', seats: 3, referrer: 'https://news.example/article', utm_source: 'newsletter' }],
      ['page_view', 'shop', '/checkout', { referrer: 'https://news.example/article' }],
    ]);
    expect(stored[0].user_id).toMatch(/^anon-/);
    expect(new Set(stored.map((r) => r.user_id)).size).toBe(1);
    for (const r of stored) {
      expect(new Date(r.occurred_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(r.occurred_at).getTime()).toBeLessThanOrEqual(after + 1000);
    }
  });

  it('never retries: a send that fails (503 before the service) is reported to the callback and lost, the next one is stored', async () => {
    const { context, page } = await open(site.origin, '/pricing', CHROME);
    try {
      await eventually(async () => expect((await rows()).map((r) => r.action)).toEqual(['page_view']));
      const sent: string[] = [];
      let failNext = true;
      // The network in front of the service fails the first attempt (a load balancer's 503).
      await context.route(`${service.url}/plausible/api/event`, async (route) => {
        sent.push(JSON.parse(route.request().postData() ?? '{}').n);
        if (failNext) {
          failNext = false;
          return route.fulfill({ status: 503, headers: { 'access-control-allow-origin': site.origin }, body: 'unavailable' });
        }
        return route.continue();
      });
      const signup = () => page.evaluate('window.signup()');
      expect(await signup()).toEqual({ status: 503 });
      expect(await signup()).toEqual({ status: 202 });
      await new Promise((r) => setTimeout(r, 500));
      expect(sent.filter((n) => n === 'Signup')).toHaveLength(2); // one try each, no retry of its own
    } finally {
      await context.close();
    }
    expect((await rows()).map((r) => r.action)).toEqual(['page_view', 'Signup']);
  });

  it("stores nothing from headless Chromium's own user agent (a bot), and counts it", async () => {
    const counted = await botCount();
    const { context, page } = await open(site.origin, '/pricing');
    try {
      expect(await page.evaluate('navigator.userAgent')).toContain('HeadlessChrome');
      const answer = await page.evaluate('window.signup()');
      expect(answer).toEqual({ status: 202 });
      await eventually(async () => expect((await botCount()) - counted).toBeGreaterThanOrEqual(2));
    } finally {
      await context.close();
    }
    expect(await rows()).toEqual([]);
  });

  it('records nothing from a page of another origin (the site key does not list it)', async () => {
    const { context, page } = await open(foreign.origin, '/', CHROME);
    try {
      const answer = await page.evaluate('window.signup()');
      // The page may read the refusal (403), so it is final; nothing is stored.
      expect(answer).toEqual({ status: 403 });
    } finally {
      await context.close();
    }
    expect(await rows()).toEqual([]);
  });
});
