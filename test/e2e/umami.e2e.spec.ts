import { CommandBus } from '@nestjs/cqrs';
import { Umami } from '@umami/node';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { Telemetry } from '../../src/observability/telemetry';
import { AnonymousVisitors } from '../../src/visitors/application/anonymous-visitors';
import { FlakyProxy } from '../support/flaky-proxy';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Umami's POST /api/send, driven by the real @umami/node SDK (host and website id changed
 * only) through a tiny proxy that can fail an attempt; and by hand for what Umami's browser
 * tracker sends (keyless, with Origin), bots, auth, and errors.
 */
jest.setTimeout(90_000);

const SHOP = 'https://shop.example';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const HEADLESS = CHROME.replace('Chrome/', 'HeadlessChrome/');

let t: TestApp;
let writeSecret: string;
let ingestSecret: string;
let proxy: FlakyProxy<{ userAgent: string | undefined }>;
let openAnswer: { status: number; body: unknown };
let openRows: unknown[];

type Row = { id: string; user_id: string; action: string; occurred_at: Date; site_id: string; path: string | null; metadata: Record<string, unknown> };
async function rows(): Promise<Row[]> {
  return t.db.query(`SELECT id, user_id, action, occurred_at, site_id, path, metadata FROM events ORDER BY occurred_at, id`);
}

const send = (body: unknown) => t.http().post('/api/send').set('User-Agent', CHROME).set('Origin', SHOP).send(body as object);
const page = (extra: Record<string, unknown> = {}) => ({ type: 'event', payload: { website: 'shop', hostname: 'shop.example', url: '/pricing', language: 'en-US', screen: '1920x1080', title: 'Pricing', ...extra } });

async function botCount(): Promise<number> {
  const metric = await t.app.get(Telemetry).botEventsIgnored.get();
  return metric.values.find((v) => v.labels.route === 'POST /api/send')?.value ?? 0;
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  // While no key exists the service runs open: any website is accepted, without a key.
  openAnswer = await t.http().post('/api/send').set('User-Agent', CHROME).set('Origin', 'https://any.example').send({ type: 'event', payload: { website: 'anything', url: '/open' } });
  openRows = await t.db.query('SELECT site_id, action, path FROM events');
  await t.db.query('TRUNCATE events, event_ids');
  const bus = t.app.get(CommandBus);
  writeSecret = (await bus.execute(new CreateApiKeyCommand('writer', 'write'))).secret;
  ingestSecret = (await bus.execute(new CreateApiKeyCommand('shop web', 'ingest', { siteId: 'shop', origins: [SHOP] }))).secret;
  await bus.execute(new CreateApiKeyCommand('blog web', 'ingest', { siteId: 'blog', origins: ['https://blog.example'] }));
  await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200)); // the open mode's cached answer ends
  proxy = await new FlakyProxy(t, { status: 503, contentType: 'text/plain', body: 'no healthy upstream', when: 'before-service' }, (req) => ({ userAgent: req.headers['user-agent'] })).start();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE events, event_ids');
  proxy.attempts.length = 0;
  proxy.failNext = 0;
});
afterAll(async () => {
  await proxy?.close();
  await t.db.query('TRUNCATE api_keys');
  await t.reset();
  await t.close();
});

describe('the real @umami/node SDK (host and website id changed only)', () => {
  it('never retries: a failed send is reported to the caller, whose own retry stores the event exactly once; every event with the right user, action, time, site, path and metadata', async () => {
    const umami = new Umami({ websiteId: 'shop', hostUrl: proxy.url });
    const before = Date.now();

    proxy.failNext = 1;
    const failed = await umami.track({ url: '/home', referrer: 'https://news.example/', title: 'Home' });
    expect(failed.status).toBe(503);
    // @umami/node sent once and gave the caller the failed answer: it has no retry of its own.
    expect(proxy.attempts.map((a) => [a.path, a.status])).toEqual([['/api/send', 503]]);
    expect(await rows()).toEqual([]);

    const retried = await umami.track({ url: '/home', referrer: 'https://news.example/', title: 'Home' });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({});
    expect((await umami.track('signup', { plan: 'pro' })).status).toBe(200);
    expect((await umami.track({ url: '/checkout?utm_source=newsletter&session=abc', name: 'purchase', data: { revenue: 42.5, currency: 'EUR' }, id: 'user-42' })).status).toBe(200);
    expect((await umami.identify({ plan: 'pro', company: 'Acme' })).status).toBe(200);
    const after = Date.now();

    const userAgent = proxy.attempts[1].userAgent!;
    expect(userAgent).toMatch(/^Mozilla\/5\.0 Umami\//);
    const stored = await rows();
    expect(stored.map((r) => [r.action, r.site_id, r.path, r.metadata])).toEqual([
      ['page_view', 'shop', '/home', { referrer: 'https://news.example/' }],
      ['signup', 'shop', null, { plan: 'pro' }],
      ['purchase', 'shop', '/checkout', { revenue: 42.5, currency: 'EUR', utm_source: 'newsletter' }],
      ['identify', 'shop', null, { plan: 'pro', company: 'Acme' }],
    ]);
    // payload.id is the user; without it, the anonymous visitor of (site, address, user agent) today.
    const visitors = t.app.get(AnonymousVisitors);
    const candidates = await Promise.all(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((ip) => visitors.idOf('shop', ip, userAgent)));
    const anonymous = stored[0].user_id;
    expect(candidates).toContain(anonymous);
    expect(stored.map((r) => r.user_id)).toEqual([anonymous, anonymous, 'user-42', anonymous]);
    // No timestamp in the protocol's default use: the time of receipt.
    for (const r of stored) expect(new Date(r.occurred_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    for (const r of stored) expect(new Date(r.occurred_at).getTime()).toBeLessThanOrEqual(after + 1000);
  });

  it('keeps a server SDK whose user agent isbot flags (no Origin: not browser traffic), and takes payload.timestamp as the time', async () => {
    const umami = new Umami({ websiteId: 'shop', hostUrl: proxy.url, userAgent: 'python-requests/2.31.0' });
    const at = Math.floor(Date.now() / 1000) - 3600;
    expect((await umami.track({ url: '/import', name: 'imported', timestamp: at, id: 'user-7' } as never)).status).toBe(200);
    const [row] = await rows();
    expect([row.user_id, row.action, new Date(row.occurred_at).getTime()]).toEqual(['user-7', 'imported', at * 1000]);
  });
});

describe('POST /api/send as Umami’s browser tracker sends it (keyless)', () => {
  it('accepted every website while the service ran open (no key at all)', () => {
    expect(openAnswer.status).toBe(200);
    expect(openRows).toEqual([{ site_id: 'anything', action: 'page_view', path: '/open' }]);
  });

  it('stands for the site’s public ingestion key: from its origin the event is stored and the page may read the answer', async () => {
    const res = await send(page({ url: 'https://shop.example/pricing?utm_campaign=spring#plans', referrer: '' }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    const [row] = await rows();
    expect([row.site_id, row.action, row.path, row.metadata]).toEqual(['shop', 'page_view', '/pricing#plans', { utm_campaign: 'spring' }]);
    expect(row.user_id).toMatch(/^anon-/);
    // The same visitor again is the same user; another browser is another.
    await send(page());
    await t.http().post('/api/send').set('User-Agent', CHROME.replace('131', '132')).set('Origin', SHOP).send(page());
    const users = (await rows()).map((r) => r.user_id);
    expect(users[1]).toBe(users[0]);
    expect(users[2]).not.toBe(users[0]);
  });

  it('refuses a foreign origin (403), a site without a public key (401 naming payload.website) and no website (400), in Umami’s shape', async () => {
    const foreign = await t.http().post('/api/send').set('User-Agent', CHROME).set('Origin', 'https://evil.example').send(page());
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ error: { message: expect.any(String), code: 'foreign-origin', status: 403 } });
    const blogFromShop = await send(page({ website: 'blog' }));
    expect(blogFromShop.status).toBe(403);
    const noKey = await send(page({ website: 'docs' }));
    expect(noKey.status).toBe(401);
    expect(noKey.body.error).toMatchObject({ code: 'no-public-key', status: 401 });
    expect(noKey.body.error.message).toContain('payload.website names the site "docs"');
    const noSite = await send({ type: 'event', payload: { url: '/x' } });
    expect(noSite.status).toBe(400);
    expect(noSite.body.error.errors).toEqual([{ path: 'payload.website', message: expect.any(String) }]);
    expect(await rows()).toEqual([]);
  });

  it('answers a bot {"beep": "boop"} without storing it, and counts it', async () => {
    const counted = await botCount();
    const headless = await t.http().post('/api/send').set('User-Agent', HEADLESS).set('Origin', SHOP).send(page());
    expect(headless.status).toBe(200);
    expect(headless.body).toEqual({ beep: 'boop' });
    const none = await t.http().post('/api/send').set('Origin', SHOP).set('User-Agent', '').send(page());
    expect(none.body).toEqual({ beep: 'boop' });
    // A server forwarding a crawler's visit says so in payload.userAgent: filtered too.
    const forwarded = await t.http().post('/api/send').set('X-API-Key', writeSecret).send(page({ userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' }));
    expect(forwarded.body).toEqual({ beep: 'boop' });
    expect(await rows()).toEqual([]);
    expect((await botCount()) - counted).toBe(3);
  });

  it('answers the preflight of the tracker, which sends X-Umami-Cache after identify()', async () => {
    const res = await t.http().options('/api/send').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,x-umami-cache');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-headers']).toMatch(/X-Umami-Cache/);
  });

  it('accepts performance reports without storing them, and a text/plain body as JSON', async () => {
    expect((await send({ type: 'performance', payload: { website: 'shop', url: '/', lcp: 1200 } })).body).toEqual({});
    const text = await t.http().post('/api/send').set('User-Agent', CHROME).set('Origin', SHOP).set('Content-Type', 'text/plain').send(JSON.stringify(page({ name: 'clicked' })));
    expect(text.status).toBe(200);
    expect((await rows()).map((r) => r.action)).toEqual(['clicked']);
  });
});

describe('POST /api/send with an API key', () => {
  it('binds an ingest key to its site (filled in when absent, another site refused naming payload.website); a write key stores the site sent', async () => {
    const filled = await t.http().post('/api/send').set('X-API-Key', ingestSecret).set('User-Agent', CHROME).send({ type: 'event', payload: { url: '/a' } });
    expect(filled.status).toBe(200);
    const other = await t.http().post('/api/send').set('X-API-Key', ingestSecret).send(page({ website: 'blog' }));
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'foreign-site', message: expect.stringContaining('payload.website') });
    const written = await t.http().post('/api/send').set('Authorization', `Bearer ${writeSecret}`).send(page({ website: 'docs', id: 'u9' }));
    expect(written.status).toBe(200);
    expect((await rows()).map((r) => [r.site_id, r.path])).toEqual([['shop', '/a'], ['docs', '/pricing']]);
  });

  it('names each invalid field, native rules included (a time too far ahead), and stores nothing', async () => {
    const bad = await send({ type: 'event', payload: { website: 'shop', url: 'http://[', name: 'x'.repeat(101), data: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation-failed', status: 400 });
    expect(bad.body.error.errors.map((e: { path: string }) => e.path)).toEqual(['payload.name', 'payload.url', 'payload.data']);
    const future = await send(page({ timestamp: Math.floor(Date.now() / 1000) + 3600 }));
    expect(future.status).toBe(400);
    expect(future.body.error.errors).toEqual([{ path: 'payload.timestamp', message: expect.stringContaining('10 minutes') }]);
    const broken = await t.http().post('/api/send').set('Content-Type', 'application/json').set('Origin', SHOP).send('{"type":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.status).toBe(400);
    expect(await rows()).toEqual([]);
  });
});
