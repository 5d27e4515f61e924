import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, BrowserContextOptions, Page, Request, Response } from 'playwright-core';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { eventually } from './support/expect-eventually';
import { describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * Our tracker, /t.js, in the real Chromium: a test page served from another origin loads it
 * with data-site, as a customer's site would, and every event must reach the database exactly
 * once, with the right user, action, time, site, path and metadata — through sendBeacon, its
 * fallbacks and retries. The site has a public ingestion key listing the page's origin, and the
 * tracker sends no key (the deployment the README describes).
 */
jest.setTimeout(120_000);

/** A desktop Chrome: headless Chromium's own user agent says HeadlessChrome, which is a bot. */
const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

interface Row {
  id: string;
  user_id: string;
  action: string;
  occurred_at: Date;
  site_id: string;
  path: string;
  metadata: Record<string, unknown>;
}

describeBrowser('the browser tracker /t.js in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let pages: Server;
  /** The customer's site: http://127.0.0.1:<port>, listed by the key. */
  let site: string;
  /** The same server as http://localhost:<port>: another origin, listed by no key. */
  let foreign: string;
  let context: BrowserContext | undefined;

  /** Script tags of the page served next (attributes of the tracker's tag, and an optional inline stub). */
  let scriptAttributes = 'data-site="shop"';
  let stub = '';

  beforeAll(async () => {
    service = await startBrowserService();
    pages = createServer((request, response) => {
      if (request.url === '/favicon.ico') return void response.writeHead(404).end();
      // Every path is the same single-page app, as a client-side router's server answers.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>${stub}` +
          `<script defer src="${service.url}/t.js" ${scriptAttributes}></script></head><body><main>Shop</main></body></html>`,
      );
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const { port } = pages.address() as AddressInfo;
    site = `http://127.0.0.1:${port}`;
    foreign = `http://localhost:${port}`;
    await service.app.get(ApiKeyRepository).create({ id: randomUUID(), name: 'shop web', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'shop', origins: [site] });
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200)); // the open mode's cached answer ends
  });
  afterAll(async () => {
    await service?.db.query('TRUNCATE api_keys'); // leave the database open for the other test files
    await service?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });
  beforeEach(async () => {
    await service.db.query('TRUNCATE events, event_ids');
    scriptAttributes = 'data-site="shop"';
    stub = '';
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  /** A fresh browser (no cookies, no storage) with a normal Chrome user agent unless told otherwise; `init` runs in each page before its scripts. */
  async function open(options: BrowserContextOptions = {}, init?: string): Promise<{ page: Page; requests: Request[]; responses: Response[] }> {
    context = await chromium.browser.newContext({ userAgent: CHROME_UA, ...options });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const requests: Request[] = [];
    const responses: Response[] = [];
    page.on('request', (r) => r.url().endsWith('/api/collect') && requests.push(r));
    page.on('response', (r) => r.url().endsWith('/api/collect') && responses.push(r));
    return { page, requests, responses };
  }

  const stored = async (): Promise<Row[]> =>
    service.db.query(`SELECT id, user_id, action, occurred_at, site_id, path, metadata FROM events ORDER BY occurred_at, id`);

  /** Waits until `count` events are stored, and checks that no event was stored twice (the ids are unique anyway: the rows are). */
  async function storedEvents(count: number): Promise<Row[]> {
    let rows: Row[] = [];
    await eventually(async () => {
      rows = await stored();
      expect(rows.length).toBe(count);
    }, 15_000);
    return rows;
  }

  /** Counts sendBeacon calls and what they answered, calling the browser's own. */
  const COUNT_BEACONS = `(() => {
    const original = navigator.sendBeacon.bind(navigator);
    window.__beacons = [];
    navigator.sendBeacon = (url, body) => { const sent = original(url, body); window.__beacons.push(sent); return sent; };
  })()`;
  const REFUSE_BEACONS = 'navigator.sendBeacon = () => false;';
  const NO_BEACON_NO_FETCH = 'Object.defineProperty(Navigator.prototype, "sendBeacon", { value: undefined }); window.fetch = undefined;';

  it('counts the page view on load through sendBeacon, at its path, with utm_* and the referrer, for an anonymous visitor of the day', async () => {
    const { page, requests } = await open({}, COUNT_BEACONS);
    const before = Date.now();
    await page.goto(`${site}/pricing?utm_source=newsletter&email=someone%40example.com`, { referer: 'https://www.google.com/search?q=shop' });
    const [view] = await storedEvents(1);
    const after = Date.now();
    expect(view).toMatchObject({ action: 'page_view', site_id: 'shop', path: '/pricing', metadata: { utm_source: 'newsletter', referrer: 'https://www.google.com/search' } });
    expect(view.user_id).toMatch(/^anon-[A-Za-z0-9_-]{22}$/);
    expect(view.occurred_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(view.occurred_at.getTime()).toBeLessThanOrEqual(after);
    expect(JSON.stringify(view)).not.toMatch(/someone|127\.0\.0\.1/);
    expect(await page.evaluate('window.__beacons')).toEqual([true]);
    expect(requests).toHaveLength(1);
    // The beacon carries no key and is text/plain: a simple request, no preflight.
    expect(requests[0].method()).toBe('POST');
    expect(await requests[0].headerValue('content-type')).toMatch(/^text\/plain/);
    expect(await requests[0].headerValue('authorization')).toBeNull();
    expect(JSON.parse(requests[0].postData()!)).toMatchObject({ site: 'shop', sent_at: expect.any(Number), events: [{ type: 'pageview', id: expect.any(String) }] });
  });

  it('counts single-page-app navigation: pushState and popstate make page views of the new path; a replaceState of the same path does not', async () => {
    const { page } = await open();
    await page.goto(`${site}/`);
    await storedEvents(1);
    await page.evaluate("history.pushState({}, '', '/products/42')");
    await storedEvents(2);
    await page.evaluate("history.replaceState({ tab: 2 }, '', '/products/42?tab=2')"); // same path: not a new page
    await page.evaluate("history.pushState({}, '', '/cart')");
    await storedEvents(3);
    await page.goBack(); // popstate back to /products/42
    const rows = await storedEvents(4);
    expect(rows.map((r) => [r.action, r.path])).toEqual([
      ['page_view', '/'],
      ['page_view', '/products/42'],
      ['page_view', '/cart'],
      ['page_view', '/products/42'],
    ]);
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(1);
  });

  it('counts hash routes as pages only with data-hash', async () => {
    scriptAttributes = 'data-site="shop" data-hash';
    const { page } = await open();
    await page.goto(`${site}/app#/home`);
    await storedEvents(1);
    await page.evaluate("location.hash = '#/settings'");
    const rows = await storedEvents(2);
    expect(rows.map((r) => r.path)).toEqual(['/app#/home', '/app#/settings']);
  });

  it('records track(name, props) with its metadata, and after identify(id) every event carries that user; the clock error of the browser is corrected', async () => {
    // The visitor's clock is two hours fast: the stored times are still ours.
    const { page } = await open({}, 'const realNow = Date.now; Date.now = () => realNow() + 2 * 3600 * 1000;');
    const before = Date.now();
    await page.goto(`${site}/pricing`);
    await storedEvents(1);
    await page.evaluate(`
      tracker.track('plan_viewed', { plan: 'pro', price: 42.5, features: ['sso', 'audit'] });
      tracker.identify('user-42', { tier: 'gold' });
      tracker.track('signup', { plan: 'pro' });
      history.pushState({}, '', '/welcome');
    `);
    const rows = await storedEvents(5);
    const after = Date.now();
    const anonymous = rows[0].user_id;
    expect(anonymous).toMatch(/^anon-/);
    expect(rows.map((r) => [r.user_id, r.action, r.path, r.metadata, r.site_id])).toEqual([
      [anonymous, 'page_view', '/pricing', {}, 'shop'],
      [anonymous, 'plan_viewed', '/pricing', { plan: 'pro', price: 42.5, features: ['sso', 'audit'] }, 'shop'],
      ['user-42', 'identify', '/pricing', { tier: 'gold' }, 'shop'],
      ['user-42', 'signup', '/pricing', { plan: 'pro' }, 'shop'],
      ['user-42', 'page_view', '/welcome', {}, 'shop'],
    ]);
    for (const row of rows) {
      expect(row.occurred_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(row.occurred_at.getTime()).toBeLessThanOrEqual(after);
    }
  });

  it('replays calls queued by the stub before the script ran, so identify() there labels the first page view', async () => {
    stub = `<script>window.tracker=window.tracker||function(){(tracker.q=tracker.q||[]).push(arguments)};tracker('identify','user-7');tracker('track','early',{n:1})</script>`;
    const { page } = await open();
    await page.goto(`${site}/account`);
    const rows = await storedEvents(3);
    expect(rows.map((r) => [r.user_id, r.action, r.path]).sort()).toEqual([
      ['user-7', 'early', '/account'],
      ['user-7', 'identify', '/account'],
      ['user-7', 'page_view', '/account'],
    ]);
    // identify lives in memory only: the next page load is anonymous again until the site says who it is.
    stub = '';
    await page.goto(`${site}/next`);
    const next = (await storedEvents(4)).find((r) => r.path === '/next')!;
    expect(next.user_id).toMatch(/^anon-/);
  });

  it('falls back to fetch (keepalive) when sendBeacon refuses, and to XMLHttpRequest without either', async () => {
    const refused = await open({}, REFUSE_BEACONS);
    await refused.page.goto(`${site}/fetch`);
    await storedEvents(1);
    expect(refused.requests.map((r) => r.resourceType())).toEqual(['fetch']);
    await context!.close();

    const bare = await open({}, NO_BEACON_NO_FETCH);
    await bare.page.goto(`${site}/xhr`);
    await bare.page.evaluate("tracker.track('clicked', { button: 'buy' })");
    const rows = await storedEvents(3);
    expect(bare.requests.map((r) => r.resourceType())).toEqual(['xhr', 'xhr']);
    expect(rows.map((r) => [r.action, r.path, r.metadata])).toEqual([
      ['page_view', '/fetch', {}],
      ['page_view', '/xhr', {}],
      ['clicked', '/xhr', { button: 'buy' }],
    ]);
    await eventually(async () => expect(bare.responses.map((r) => r.status())).toEqual([202, 202]));
  });

  it('retries a request whose answer was lost after the service stored it, and a 503: each event is stored once', async () => {
    const { page, requests } = await open({}, REFUSE_BEACONS);
    let attempt = 0;
    await page.route(`${service.url}/api/collect`, async (route) => {
      attempt += 1;
      if (attempt === 1) {
        // Through to the service (which stores the event), then the connection drops before the page sees the answer.
        const response = await route.fetch();
        expect(response.status()).toBe(202);
        return route.abort('connectionreset');
      }
      if (attempt === 3) return route.fulfill({ status: 503, headers: { 'Access-Control-Allow-Origin': site, 'Retry-After': '1' }, body: '' });
      return route.continue();
    });
    await page.goto(`${site}/flaky`);
    await eventually(async () => expect(requests.length).toBe(2), 15_000); // the page view, retried
    await page.evaluate("tracker.track('after_503')");
    await eventually(async () => expect(requests.length).toBe(4), 15_000); // 503, then again
    const rows = await storedEvents(2);
    expect(rows.map((r) => [r.action, r.path])).toEqual([
      ['page_view', '/flaky'],
      ['after_503', '/flaky'],
    ]);
    // Each retry sent the same event ids (and a fresh sent_at).
    const sent = requests.map((r) => JSON.parse(r.postData()!) as { sent_at: number; events: Array<{ id: string }> });
    expect(sent[1].events[0].id).toBe(sent[0].events[0].id);
    expect(sent[3].events[0].id).toBe(sent[2].events[0].id);
    expect(sent[1].sent_at).toBeGreaterThan(sent[0].sent_at);
  });

  it('sends nothing when asked to respect Do Not Track or Global Privacy Control and the browser says so, and still counts otherwise', async () => {
    const trackEverything = async (path: string) => {
      await dnt.page.goto(`${site}${path}`);
      await dnt.page.evaluate("tracker.identify('user-dnt'); tracker.track('clicked')");
    };
    scriptAttributes = 'data-site="shop" data-respect-dnt';
    const dnt = await open({}, 'Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1" });');
    await trackEverything('/dnt');
    await context!.close();
    const gpc = await open({}, 'Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true });');
    dnt.page = gpc.page;
    await trackEverything('/gpc');
    expect([...dnt.requests, ...gpc.requests]).toEqual([]);
    // Without data-respect-dnt the same browser is counted (the site's choice); its events arrive, the others never did.
    scriptAttributes = 'data-site="shop"';
    await trackEverything('/counted');
    const rows = await storedEvents(3);
    expect(rows.map((r) => r.path)).toEqual(['/counted', '/counted', '/counted']);
    expect(gpc.requests).toHaveLength(3);
  });

  it('sets no cookie and uses no storage', async () => {
    const { page } = await open();
    await page.goto(`${site}/`);
    await page.evaluate("tracker.identify('user-1')");
    await storedEvents(2);
    expect(await context!.cookies()).toEqual([]);
    expect(await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length]')).toEqual(['', 0, 0]);
  });

  it("does not store headless Chromium's visits (its user agent is a bot's), though it answers them alike", async () => {
    const { page, responses } = await open({ userAgent: undefined }, REFUSE_BEACONS);
    expect(await page.evaluate('navigator.userAgent')).toMatch(/HeadlessChrome/);
    await page.goto(`${site}/bot`);
    await page.evaluate("tracker.track('clicked')");
    await eventually(async () => expect(responses.map((r) => r.status())).toEqual([202, 202]));
    expect(await stored()).toEqual([]);
  });

  it('is refused from an origin the site key does not list (403) and for a site without a public key (401), without retrying; nothing is stored', async () => {
    // Not intercepted (an intercepted answer would get CORS headers from the test tool): the page
    // reads the refusals only because they carry Access-Control-Allow-Origin; else it would see
    // network errors and retry them.
    const { page, requests, responses } = await open({}, REFUSE_BEACONS);
    await page.goto(`${foreign}/copied`);
    await eventually(async () => expect(responses.map((r) => r.status())).toEqual([403]));
    scriptAttributes = 'data-site="docs"';
    await page.goto(`${site}/docs`);
    await eventually(async () => expect(responses.map((r) => r.status())).toEqual([403, 401]));
    // The tracker's first retry would come after 1 s: none comes.
    await page.waitForTimeout(2_500);
    expect(requests.length).toBe(2);
    expect(await stored()).toEqual([]);
  });
});
