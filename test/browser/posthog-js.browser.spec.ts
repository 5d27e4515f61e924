import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { CommandBus } from '@nestjs/cqrs';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { eventually } from './support/expect-eventually';
import { describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * The real posthog-js (its CDN build, array.js) in a page of its own origin, initialised as its
 * quick-start says with only the host and key changed, sending to the service through a proxy
 * that lets the first capture request reach the service and then answers 503: posthog-js'
 * retry queue sends it again, and every event must be stored once, with the public ingest
 * key's site. posthog-js gzips its JSON and sends it as text/plain without Content-Encoding.
 */
jest.setTimeout(120_000);

const ARRAY_JS = readFileSync(require.resolve('posthog-js/dist/array.js'), 'utf8');
/**
 * posthog-js drops every event of a browser that looks automated (a headless user agent,
 * navigator.webdriver): the test's Chromium shows a desktop Chrome's user agent and hides
 * navigator.webdriver, so the page's own code stays the quick-start's.
 */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describeBrowser('posthog-js in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let site: Server;
  let siteOrigin: string;
  let proxy: Server;
  let proxyUrl: string;
  let secret: string;
  const captures: Array<{ path: string; query: string; status: number; type: string | undefined; encoding: string | undefined; gzip: boolean }> = [];
  let failNext = 1;

  beforeAll(async () => {
    service = await startBrowserService();
    // The shop's pages: one page that loads posthog-js and initialises it, as the quick-start does.
    site = createServer((req, res) => {
      if (req.url === '/array.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(ARRAY_JS);
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>shop</title>
<script src="/array.js"></script>
<script>posthog.init(${JSON.stringify(secret)}, { api_host: ${JSON.stringify(proxyUrl)} });</script>`);
    });
    siteOrigin = await listen(site);
    const created = await service.app.get(CommandBus).execute(new CreateApiKeyCommand('shop pages', 'ingest', { siteId: 'shop', origins: [siteOrigin] }));
    secret = created.secret;
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));
    // The proxy, as posthog-js' api_host: forwards everything to the service; the first capture
    // request is stored by the service, then its answer replaced by a 503 (readable by the page).
    proxy = createServer(async (req, res) => {
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
      const answer = await fetch(`${service.url}${req.url}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
      const text = Buffer.from(await answer.arrayBuffer());
      const path = (req.url ?? '').split('?')[0];
      const isCapture = req.method === 'POST' && ['/e/', '/i/v0/e/', '/batch/'].includes(path);
      if (isCapture) {
        const record = { path, query: (req.url ?? '').split('?')[1] ?? '', status: answer.status, type: req.headers['content-type'], encoding: req.headers['content-encoding'], gzip: body[0] === 0x1f && body[1] === 0x8b };
        captures.push(record);
        if (failNext > 0 && answer.status === 200) {
          failNext--;
          record.status = 503;
          return void res.writeHead(503, { 'content-type': 'application/json', 'access-control-allow-origin': siteOrigin }).end('{"type":"server_error","code":"injected","detail":"injected","attr":null}');
        }
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) out[name] = value;
      });
      res.writeHead(answer.status, out).end(text);
    });
    proxyUrl = await listen(proxy);
  });
  afterAll(async () => {
    await service?.db.query('TRUNCATE api_keys');
    await service?.close();
    site?.close();
    proxy?.close();
  });

  it("stores a page view, an identify and a custom event exactly once, with the key's site, the page's path, user and properties, the first attempt answered 503", async () => {
    const context = await chromium.browser.newContext({ userAgent: USER_AGENT });
    await context.addInitScript("Object.defineProperty(navigator, 'webdriver', { get: () => false })");
    const page = await context.newPage();
    try {
      await page.goto(`${siteOrigin}/products/42?ref=mail`);
      await page.waitForFunction('window.posthog && window.posthog.__loaded === true');
      const anonymous = (await page.evaluate('window.posthog.get_distinct_id()')) as string;
      await page.evaluate("posthog.identify('user-42', { plan: 'pro' }); posthog.capture('order completed', { revenue: 42.5, currency: 'EUR' })");
      type Row = { action: string; user_id: string; site_id: string; path: string | null; metadata: Record<string, unknown>; occurred_at: Date };
      let rows: Row[] = [];
      await eventually(async () => {
        rows = await service.db.query(`SELECT action, user_id, site_id, path, metadata, occurred_at FROM events ORDER BY occurred_at, action`);
        expect(rows.map((r) => r.action).filter((a) => ['page_view', 'identify', 'order completed'].includes(a)).sort()).toEqual(['identify', 'order completed', 'page_view']);
        // The retry came (the 503 was followed by a 200 for the same request).
        expect(captures.filter((c) => c.status === 200).length).toBeGreaterThan(0);
      }, 60_000);
      // The first capture request was answered 503 after it was stored, and was sent again.
      expect(captures[0].status).toBe(503);
      // Each event once: no action of the page appears twice.
      const actions = rows.map((r) => r.action);
      expect(new Set(actions).size).toBe(actions.length);
      for (const r of rows) expect(r.site_id).toBe('shop');
      const byAction = Object.fromEntries(rows.map((r) => [r.action, r]));
      expect(byAction.page_view).toMatchObject({ user_id: anonymous, path: '/products/42', metadata: { $current_url: `${siteOrigin}/products/42?ref=mail`, $lib: 'web' } });
      expect(byAction.page_view.metadata).not.toHaveProperty('token');
      expect(byAction.identify).toMatchObject({ user_id: 'user-42', path: '/products/42', metadata: { $anon_distinct_id: anonymous, $set: { plan: 'pro' } } });
      expect(byAction['order completed']).toMatchObject({ user_id: 'user-42', path: '/products/42', metadata: { revenue: 42.5, currency: 'EUR' } });
      for (const r of rows) expect(Math.abs(new Date(r.occurred_at).getTime() - Date.now())).toBeLessThan(120_000);
      // How posthog-js sent them: gzip JSON as text/plain, no Content-Encoding, to /e/.
      expect(captures[0]).toMatchObject({ path: '/e/', type: 'text/plain', encoding: undefined, gzip: true });
      // The next page: its own page view. Closing it: posthog-js sends $pageleave as the page
      // unloads, through sendBeacon as a base64 form (data=…), which it does not gzip.
      await page.goto(`${siteOrigin}/cart`);
      const actionsOf = async (): Promise<Row[]> =>
        service.db.query(`SELECT action, user_id, site_id, path, metadata, occurred_at FROM events WHERE action IN ('$pageleave', 'page_view') ORDER BY occurred_at`);
      await eventually(async () => expect((await actionsOf()).map((r) => [r.action, r.path])).toEqual([['page_view', '/products/42'], ['page_view', '/cart']]), 30_000);
      await page.close({ runBeforeUnload: true });
      await eventually(async () => {
        expect((await actionsOf()).map((r) => [r.action, r.path, r.user_id, r.site_id])).toEqual([
          ['page_view', '/products/42', anonymous, 'shop'],
          ['page_view', '/cart', 'user-42', 'shop'],
          ['$pageleave', '/cart', 'user-42', 'shop'],
        ]);
      }, 30_000);
      expect(captures.some((c) => c.type === 'application/x-www-form-urlencoded' && c.status === 200)).toBe(true);
      // Every capture request was stored (the one 503 is the proxy's).
      expect(captures.filter((c) => c.status !== 200)).toEqual([{ ...captures[0], status: 503 }]);
    } finally {
      await context.close();
    }
  });
});
