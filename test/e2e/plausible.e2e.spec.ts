import { CommandBus } from '@nestjs/cqrs';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { Telemetry } from '../../src/observability/telemetry';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Plausible's events endpoint by hand, as its script sends it (text/plain JSON, keyless, with
 * Origin): auth through the site's public key, bots, engagement events, the domain list, the
 * long field names and Plausible's error shape. The real script runs in Chromium in
 * test/browser/plausible.browser.spec.ts.
 */
jest.setTimeout(60_000);

const SHOP = 'https://shop.example';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ROUTE = '/plausible/api/event';

let t: TestApp;
let ingestSecret: string;
let openAnswer: { status: number; text: string };
let openRows: unknown[];

type Row = { user_id: string; action: string; site_id: string; path: string | null; metadata: Record<string, unknown> };
const rows = (): Promise<Row[]> => t.db.query(`SELECT user_id, action, site_id, path, metadata FROM events ORDER BY occurred_at, id`);
/** What the script's fetch sends: text/plain, no key, the page's Origin. */
const beacon = (body: unknown, { origin = SHOP, userAgent = CHROME }: { origin?: string; userAgent?: string } = {}) =>
  t.http().post(ROUTE).set('Content-Type', 'text/plain').set('Origin', origin).set('User-Agent', userAgent).send(JSON.stringify(body));
const pageview = (extra: Record<string, unknown> = {}) => ({ n: 'pageview', v: 36, u: 'https://shop.example/pricing?utm_source=news&ref=x', d: 'shop', r: 'https://news.example/', ...extra });

async function botCount(): Promise<number> {
  const metric = await t.app.get(Telemetry).botEventsIgnored.get();
  return metric.values.find((v) => v.labels.route === 'POST /plausible/api/event')?.value ?? 0;
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  const open = await t.http().post(ROUTE).set('Content-Type', 'text/plain').set('User-Agent', CHROME).send(JSON.stringify(pageview({ d: 'anything' })));
  openAnswer = { status: open.status, text: open.text };
  openRows = await t.db.query('SELECT site_id, action FROM events');
  const bus = t.app.get(CommandBus);
  ingestSecret = (await bus.execute(new CreateApiKeyCommand('shop web', 'ingest', { siteId: 'shop', origins: [SHOP] }))).secret;
  await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));
});
beforeEach(async () => {
  await t.db.query('TRUNCATE events, event_ids');
});
afterAll(async () => {
  await t.db.query('TRUNCATE api_keys');
  await t.reset();
  await t.close();
});

describe('POST /plausible/api/event', () => {
  it('accepted any domain while the service ran open (no key at all)', () => {
    expect(openAnswer).toEqual({ status: 202, text: 'ok' });
    expect(openRows).toEqual([{ site_id: 'anything', action: 'page_view' }]);
  });

  it('stores the script’s page view and custom event for the site’s public key, answering 202 ok readable by the page', async () => {
    const res = await beacon(pageview());
    expect(res.status).toBe(202);
    expect(res.text).toBe('ok');
    expect(res.headers['x-plausible-dropped']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect((await beacon({ n: 'Signup', v: 36, u: 'https://shop.example/register', d: 'shop', r: null, p: { plan: 'pro', seats: 3 } })).status).toBe(202);
    const stored = await rows();
    expect(stored.map((r) => [r.action, r.site_id, r.path, r.metadata])).toEqual([
      ['page_view', 'shop', '/pricing', { referrer: 'https://news.example/', utm_source: 'news' }],
      ['Signup', 'shop', '/register', { plan: 'pro', seats: 3 }],
    ]);
    // Always the anonymous visitor: one browser, one user.
    expect(stored[0].user_id).toMatch(/^anon-/);
    expect(stored[1].user_id).toBe(stored[0].user_id);
  });

  it('takes the first site of a domain list, and reads the Events API’s long names', async () => {
    expect((await beacon(pageview({ d: 'shop,rollup.example' }))).status).toBe(202);
    const long = await t.http().post(ROUTE).set('Content-Type', 'application/json').set('User-Agent', CHROME).set('Origin', SHOP)
      .send({ name: 'Download', url: 'https://shop.example/files/a.pdf', domain: 'shop', referrer: '', props: '{"kind":"pdf"}' });
    expect(long.status).toBe(202);
    expect((await rows()).map((r) => [r.action, r.site_id, r.path, r.metadata])).toEqual([
      ['page_view', 'shop', '/pricing', { referrer: 'https://news.example/', utm_source: 'news' }],
      ['Download', 'shop', '/files/a.pdf', { kind: 'pdf' }],
    ]);
  });

  it('answers bots and engagement events 202 with x-plausible-dropped: 1, storing nothing; bots are counted', async () => {
    const counted = await botCount();
    for (const userAgent of [CHROME.replace('Chrome/', 'HeadlessChrome/'), 'curl/8.5.0']) {
      const res = await beacon(pageview(), { userAgent });
      expect([res.status, res.text, res.headers['x-plausible-dropped']]).toEqual([202, 'ok', '1']);
    }
    const noAgent = await t.http().post(ROUTE).set('Content-Type', 'text/plain').set('Origin', SHOP).set('User-Agent', '').send(JSON.stringify(pageview()));
    expect(noAgent.headers['x-plausible-dropped']).toBe('1');
    const engagement = await beacon({ n: 'engagement', sd: 40, e: 5000, v: 36, u: 'https://shop.example/pricing', d: 'shop', p: {} });
    expect([engagement.status, engagement.headers['x-plausible-dropped']]).toEqual([202, '1']);
    expect(await rows()).toEqual([]);
    expect((await botCount()) - counted).toBe(3);
  });

  it('refuses a foreign origin (403), a site without a public key (401 naming d) and no d (400), in Plausible’s shape', async () => {
    const foreign = await beacon(pageview(), { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ errors: { request: [expect.stringContaining('https://evil.example')] } });
    const noKey = await beacon(pageview({ d: 'docs' }));
    expect(noKey.status).toBe(401);
    expect(noKey.body.errors.request[0]).toContain('d names the site "docs"');
    const noSite = await beacon(pageview({ d: undefined }));
    expect(noSite.status).toBe(400);
    expect(Object.keys(noSite.body.errors)).toEqual(['d']);
    expect(await rows()).toEqual([]);
  });

  it('binds an ingest key sent as a header to its site: another d is refused (403)', async () => {
    const other = await t.http().post(ROUTE).set('X-API-Key', ingestSecret).set('User-Agent', CHROME).send(pageview({ d: 'blog' }));
    expect(other.status).toBe(403);
    expect(other.body.errors.request[0]).toContain('d');
    const filled = await t.http().post(ROUTE).set('X-API-Key', ingestSecret).set('User-Agent', CHROME).send(pageview({ d: undefined }));
    expect(filled.status).toBe(202);
    expect((await rows()).map((r) => r.site_id)).toEqual(['shop']);
  });

  it('names each invalid field as sent, and answers broken JSON with a 400', async () => {
    const bad = await beacon({ n: 'x'.repeat(101), d: 'shop', u: 'data:text/html,hi', p: '[1]' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors)).toEqual(['n', 'u', 'p']);
    const broken = await t.http().post(ROUTE).set('Content-Type', 'text/plain').set('Origin', SHOP).set('User-Agent', CHROME).send('{"n":');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ errors: { request: [expect.any(String)] } });
    expect(await rows()).toEqual([]);
  });
});
