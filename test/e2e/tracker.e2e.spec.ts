import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import { trackerEventId } from '../../src/tracker/application/tracker-events';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * POST /api/collect (what /t.js sends) against the real app and database: stored once per
 * event id, the anonymous id of the day for visitors without a user, bots answered alike and
 * not stored, keyless requests standing for the site's public key; and GET /t.js itself.
 */
jest.setTimeout(60_000);

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const HEADLESS = CHROME.replace('Chrome/', 'HeadlessChrome/');
const SHOP = 'https://shop.example';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
});
afterAll(async () => {
  await t.db.query('TRUNCATE api_keys');
  await t?.close();
});

const collect = (body: unknown, headers: Record<string, string> = { 'user-agent': CHROME }) => {
  let call = t.http().post('/api/collect').set('Content-Type', 'text/plain;charset=UTF-8');
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return call.send(typeof body === 'string' ? body : JSON.stringify(body));
};
const stored = async () =>
  (await t.db.query(`SELECT id, user_id, action, occurred_at, received_at, site_id, path, metadata FROM events ORDER BY occurred_at, action`)) as Array<{
    id: string; user_id: string; action: string; occurred_at: Date; received_at: Date; site_id: string; path: string; metadata: Record<string, unknown>;
  }>;

describe('POST /api/collect, open (no key exists)', () => {
  beforeEach(() => t.reset());

  it('stores page views, events and identifies once each, with the anonymous id of the day until a user is named', async () => {
    const now = Date.now();
    // The client's clock is an hour fast: sent_at corrects every ts by it.
    const skew = 3600_000;
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const body = {
      site: 'shop',
      sent_at: now + skew,
      events: [
        { id: ids[0], type: 'pageview', url: `${SHOP}/pricing?utm_campaign=launch&token=secret`, referrer: 'https://news.example/item?id=1', ts: now + skew - 3000 },
        { id: ids[1], type: 'event', name: 'signup', props: { plan: 'pro', seats: 3 }, url: `${SHOP}/pricing`, ts: now + skew - 2000 },
        { id: ids[2], type: 'identify', user_id: 'user-42', props: { tier: 'gold' }, url: `${SHOP}/pricing`, ts: now + skew - 1000 },
        { id: ids[3], type: 'event', name: 'checkout', user_id: 'user-42', url: `${SHOP}/cart`, ts: now + skew - 500 },
      ],
    };
    const first = await collect(body, { 'user-agent': CHROME, origin: SHOP });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'accepted', events: 4 });
    // Open: the answer is readable by the page's fetch (its retry logic needs the status).
    expect(first.headers['access-control-allow-origin']).toBe(SHOP);

    const rows = await stored();
    expect(rows.map((r) => [r.id, r.action, r.site_id, r.path, r.metadata])).toEqual([
      [trackerEventId('shop', ids[0]), 'page_view', 'shop', '/pricing', { utm_campaign: 'launch', referrer: 'https://news.example/item' }],
      [trackerEventId('shop', ids[1]), 'signup', 'shop', '/pricing', { plan: 'pro', seats: 3 }],
      [trackerEventId('shop', ids[2]), 'identify', 'shop', '/pricing', { tier: 'gold' }],
      [trackerEventId('shop', ids[3]), 'checkout', 'shop', '/cart', {}],
    ]);
    const [anonymous] = rows.map((r) => r.user_id);
    expect(anonymous).toMatch(/^anon-[A-Za-z0-9_-]{22}$/);
    expect(rows.map((r) => r.user_id)).toEqual([anonymous, anonymous, 'user-42', 'user-42']);
    expect(JSON.stringify(rows)).not.toMatch(/127\.0\.0\.1|::ffff|secret/);
    // Each stored time is ts corrected by the client's clock error: received − (sent_at − ts).
    rows.forEach((row, index) => {
      expect(row.occurred_at.getTime()).toBe(row.received_at.getTime() - (body.sent_at - body.events[index].ts));
    });

    // A retry of the same request (a beacon whose answer was lost) stores nothing more.
    const retry = await collect({ ...body, sent_at: Date.now() + skew });
    expect(retry.status).toBe(202);
    expect((await stored()).map((r) => r.id)).toEqual(rows.map((r) => r.id));

    // The same browser sends again later today: the same anonymous visitor. Another browser: another.
    await collect({ site: 'shop', events: [{ id: randomUUID(), type: 'pageview', url: `${SHOP}/` }] });
    await collect({ site: 'shop', events: [{ id: randomUUID(), type: 'pageview', url: `${SHOP}/` }] }, { 'user-agent': CHROME.replace('131', '132') });
    const visitors = (await t.db.query(`SELECT DISTINCT user_id FROM events WHERE path = '/'`)).map((r: { user_id: string }) => r.user_id);
    expect(visitors).toHaveLength(2);
    expect(visitors).toContain(anonymous);
  });

  it('answers a bot (headless Chrome, a crawler, no user agent) exactly as a browser, stores nothing, and counts it', async () => {
    const body = { site: 'shop', events: [{ id: randomUUID(), type: 'pageview', url: `${SHOP}/` }, { id: randomUUID(), type: 'event', name: 'x' }] };
    const bots: Array<Record<string, string>> = [{ 'user-agent': HEADLESS }, { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }, {}];
    for (const headers of bots) {
      const res = await collect(body, headers);
      expect([res.status, res.body]).toEqual([202, { status: 'accepted', events: 2 }]);
    }
    expect(await stored()).toEqual([]);
    const metrics = await t.http().get('/metrics');
    expect(metrics.text).toMatch(/tracking_bot_events_ignored_total\{route="POST \/api\/collect"\} 6\b/);
    // An invalid request of a bot is the same 400 a browser gets.
    const invalid = await collect({ site: 'shop', events: [{ id: 'x', type: 'pageview' }] }, { 'user-agent': HEADLESS });
    expect(invalid.status).toBe(400);
  });

  it('stores the valid events of a request and names the invalid ones (400); a broken envelope stores nothing', async () => {
    const good = randomUUID();
    const res = await collect({ site: 'shop', events: [{ id: good, type: 'event', name: 'ok' }, { id: randomUUID(), type: 'event', name: '' }, { id: randomUUID(), type: 'event', name: 'late', ts: Date.now() + 3600_000 }] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['events[1].name', 'events[2].ts']);
    expect((await stored()).map((r) => r.id)).toEqual([trackerEventId('shop', good)]);

    for (const [body, path] of [
      [{ events: [{ id: randomUUID(), type: 'event', name: 'x' }] }, 'site'],
      [{ site: 'shop', events: [] }, 'events'],
      [{ site: 'shop', events: [{}], extra: 1 }, 'extra'],
      ['{"site": ', 'body'],
    ] as const) {
      const refused = await collect(body);
      expect([refused.status, JSON.stringify(refused.body.errors)]).toEqual([400, expect.stringContaining(`"path":"${path}"`)]);
    }
    expect(await stored()).toHaveLength(1);
  });
});

describe('POST /api/collect once keys exist: keyless requests stand for the site public key', () => {
  beforeAll(async () => {
    const keys = t.app.get(ApiKeyRepository);
    await keys.create({ id: randomUUID(), name: 'shop web', scope: 'ingest', secretHash: hashSecret(newSecret()), siteId: 'shop', origins: [SHOP] });
    await keys.create({ id: randomUUID(), name: 'admin', scope: 'admin', secretHash: hashSecret(newSecret()), siteId: null, origins: [] });
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));
  });
  beforeEach(() => t.db.query('TRUNCATE events, event_ids'));
  const pageview = (site: string) => ({ site, events: [{ id: randomUUID(), type: 'pageview', url: `${SHOP}/a` }] });

  it("stores from one of the key's origins (CORS for it), and answers its preflight", async () => {
    const res = await collect(pageview('shop'), { 'user-agent': CHROME, origin: SHOP });
    expect(res.status).toBe(202);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(await stored()).toHaveLength(1);
    const preflight = await t.http().options('/api/collect').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('refuses a foreign origin (403), a site without a public key (401 naming site), and a missing site (400)', async () => {
    const foreign = await collect(pageview('shop'), { 'user-agent': CHROME, origin: 'https://evil.example' });
    expect([foreign.status, foreign.body.type]).toEqual([403, expect.stringMatching(/foreign-origin$/)]);
    const keyless = await collect(pageview('docs'), { 'user-agent': CHROME, origin: SHOP });
    expect([keyless.status, keyless.body.type]).toEqual([401, expect.stringMatching(/no-public-key$/)]);
    expect(keyless.body.detail).toMatch(/^site names the site "docs"/);
    const unnamed = await collect({ events: pageview('x').events }, { 'user-agent': CHROME, origin: SHOP });
    expect([unnamed.status, unnamed.body.errors]).toEqual([400, [{ path: 'site', message: expect.any(String) }]]);
    // Each refusal is readable by the page that sent it (else the tracker sees a network error and retries).
    for (const [res, origin] of [[foreign, 'https://evil.example'], [keyless, SHOP], [unnamed, SHOP]] as const) {
      expect([res.status, res.headers['access-control-allow-origin'], res.headers.vary]).toEqual([res.status, origin, 'Origin']);
    }
    expect(await stored()).toEqual([]);
  });
});

describe('GET /t.js', () => {
  it('serves the built script to any site: JavaScript, cross-origin resource policy, cached an hour, revalidated by ETag, gzipped when accepted', async () => {
    const res = await t.http().get('/t.js').set('Accept-Encoding', 'identity');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(res.headers['content-encoding']).toBeUndefined();
    const source = res.text;
    expect(source).toContain('/api/collect');
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await t.http().get('/t.js').set('If-None-Match', etag);
    expect(again.status).toBe(304);
    const gzipped = await t.http().get('/t.js').set('Accept-Encoding', 'gzip, br').buffer(true).parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/Accept-Encoding/);
    // superagent has already decoded the gzip it was sent.
    expect((gzipped.body as Buffer).toString('utf8')).toBe(source);
    expect(Number(gzipped.headers['content-length'])).toBe(gzipSync(Buffer.from(source), { level: 9 }).length);
  });
});
