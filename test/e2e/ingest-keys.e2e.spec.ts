import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { INGEST_ROUTES } from '../../src/access/ports/http/ingest-routes';
import { spawnNode, waitFor } from '../support/process';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Public ingestion keys (scope `ingest`): created with the keys CLI, they record events only,
 * only for their site, answer CORS only for their origins, and are limited like write keys.
 */
jest.setTimeout(90_000);

async function keysCli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = spawnNode('dist/cmd/keys.js', args, {});
  const code = await cli.exited;
  return { code, output: cli.output() };
}

const SHOP = 'https://shop.example';
const BLOG = 'https://blog.example';
const EVIL = 'https://evil.example';
const SITE_EVENT = { event_type: 'page_view', path: '/p', user_id: 'u1', timestamp: '2025-11-12T19:30:01Z' };

let t: TestApp;
const keys: Record<'shop' | 'blog' | 'bare' | 'admin' | 'write', { id: string; secret: string }> = {} as never;

async function createKey(...args: string[]): Promise<{ id: string; secret: string; site_id: string | null; origins: string[] }> {
  const res = await keysCli('create', ...args, '--json');
  expect(res.code).toBe(0);
  return JSON.parse(res.output);
}

const storedSites = async (): Promise<Array<string | null>> =>
  (await t.db.query('SELECT site_id FROM events ORDER BY site_id')).map((r: { site_id: string | null }) => r.site_id);

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  const shop = await createKey('--name', 'shop site', '--scope', 'ingest', '--site', 'shop', '--origin', SHOP, '--origin', 'http://localhost:3000');
  expect(shop).toMatchObject({ scope: 'ingest', site_id: 'shop', origins: [SHOP, 'http://localhost:3000'], secret: expect.stringMatching(/^tsk_/) });
  keys.shop = shop;
  keys.blog = await createKey('--name', 'blog', '--scope', 'ingest', '--site', 'blog', '--origin', BLOG);
  keys.bare = await createKey('--name', 'server side', '--scope', 'ingest', '--site', 'shop');
  keys.admin = await createKey('--name', 'admin', '--scope', 'admin');
  keys.write = await createKey('--name', 'writer', '--scope', 'write');
  await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200)); // the open mode's cached answer ends
});
beforeEach(async () => {
  await t.db.query('TRUNCATE events, event_ids');
});
afterAll(async () => {
  await t.db.query('TRUNCATE api_keys');
  await t.reset();
  await t.close();
});

describe('the keys CLI', () => {
  it('lists site and origins, as text and as JSON, never the secret', async () => {
    const json = await keysCli('list', '--json');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.output).keys;
    expect(listed.find((k: { id: string }) => k.id === keys.shop.id)).toEqual({
      id: keys.shop.id, name: 'shop site', scope: 'ingest', site_id: 'shop', origins: [SHOP, 'http://localhost:3000'],
      created_at: expect.any(String), revoked_at: null,
    });
    expect(listed.find((k: { id: string }) => k.id === keys.admin.id)).toMatchObject({ scope: 'admin', site_id: null, origins: [] });
    const text = await keysCli('list');
    expect(text.output).toContain(`${keys.shop.id}  ingest  active   shop site  site=shop origins=${SHOP},http://localhost:3000`);
    expect(text.output).toContain(`${keys.bare.id}  ingest  active   server side  site=shop origins=(none)`);
    expect(text.output).toMatch(new RegExp(`${keys.admin.id}  admin   active   admin\\n`));
    expect(json.output + text.output).not.toContain('tsk_');
  });

  it('refuses an ingest key without a site, a site on another scope and a bad origin, with exit code 2 and the reason', async () => {
    const cases: Array<[string[], string]> = [
      [['--scope', 'ingest'], '--scope ingest needs --site'],
      [['--scope', 'write', '--site', 'shop'], '--site and --origin are only for --scope ingest'],
      [['--scope', 'ingest', '--site', 'shop', '--origin', 'https://shop.example/checkout'], '--origin "https://shop.example/checkout" is not an origin'],
    ];
    for (const [args, message] of cases) {
      const res = await keysCli('create', '--name', 'x', ...args);
      expect(res.code).toBe(2);
      expect(res.output).toContain(`error: ${message}`);
    }
    const [{ n }] = await t.db.query("SELECT count(*)::int AS n FROM api_keys WHERE name = 'x'");
    expect(n).toBe(0);
  });
});

describe('an ingest key records events for its site only', () => {
  const asShop = (path: string) => t.http().post(path).set('X-API-Key', keys.shop.secret);

  it('stores the key site on POST /api/event, whether the body leaves site_id out or names it', async () => {
    const left = await asShop('/api/event').send({ user_id: 1, action: 'view' });
    expect(left.status).toBe(201);
    const named = await t.http().post('/api/event').set('Authorization', `Bearer ${keys.shop.secret}`).send({ user_id: 1, action: 'view', site_id: 'shop' });
    expect(named.status).toBe(201);
    const nulled = await asShop('/api/event').send({ user_id: 1, action: 'view', site_id: null });
    expect(nulled.status).toBe(201);
    expect(await storedSites()).toEqual(['shop', 'shop', 'shop']);
  });

  it('refuses a body naming another site with 403 foreign-site, storing nothing (single, batch, compatibility routes)', async () => {
    const single = await asShop('/api/event').send({ user_id: 1, action: 'view', site_id: 'blog' });
    expect(single.status).toBe(403);
    expect(single.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(single.body).toMatchObject({ status: 403, type: 'urn:tracking-service:problem:foreign-site', detail: expect.stringContaining('site_id names another site') });
    // One foreign event refuses the whole batch: the others are not stored either.
    const batch = await asShop('/api/events/batch').send({ events: [{ user_id: 1, action: 'a' }, { user_id: 2, action: 'a', site_id: 'blog' }] });
    expect(batch.status).toBe(403);
    expect(batch.text).toContain('events[1].site_id');
    // The compatibility routes answer in the shape of the system they replace, with the same reason.
    const seed004 = await asShop('/event').send({ ...SITE_EVENT, site_id: 'blog' });
    expect(seed004.status).toBe(403);
    expect(JSON.stringify(seed004.body)).toContain('site_id names another site');
    const seed001 = await asShop('/api/ingestion/event').send({ ...SITE_EVENT, site_id: 'blog' });
    expect(seed001.status).toBe(403);
    expect(JSON.stringify(seed001.body)).toContain('site_id names another site');
    expect(await storedSites()).toEqual([]);
  });

  it('fills in the site of every event of a batch and of the compatibility write routes', async () => {
    const batch = await asShop('/api/events/batch').send({ events: [{ user_id: 1, action: 'a' }, { user_id: 2, action: 'a', site_id: 'shop' }] });
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ created: 2, rejected: 0 });
    // The compatibility routes require site_id of a secret key's client; an ingest key supplies it.
    expect((await asShop('/event').send(SITE_EVENT)).status).toBe(202);
    expect((await asShop('/api/ingestion/event').send({ ...SITE_EVENT, path: '/q' })).status).toBe(202);
    expect(await storedSites()).toEqual(['shop', 'shop', 'shop', 'shop']);
    // Body validation still applies: a site_id that is not a string is a 400, not a foreign site.
    const bad = await asShop('/api/event').send({ user_id: 1, action: 'a', site_id: 5 });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('site_id');
  });

  it('writes for another site only with that site key: the blog key stores blog events', async () => {
    expect((await t.http().post('/api/event').set('X-API-Key', keys.blog.secret).send({ user_id: 1, action: 'a' })).status).toBe(201);
    expect((await t.http().post('/api/event').set('X-API-Key', keys.blog.secret).send({ user_id: 1, action: 'a', site_id: 'shop' })).status).toBe(403);
    expect(await storedSites()).toEqual(['blog']);
  });

  it('cannot read or use any other route: 403 on every documented operation but the four that record events', async () => {
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
    // The document marks exactly the routes the guard lets an ingest key use.
    const marked = operations.filter(({ op }) => op['x-ingest-key'] === true).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(marked.sort()).toEqual([...INGEST_ROUTES.keys()].sort());
    const others = operations.filter(({ path, op }) => op['x-ingest-key'] !== true && !(Array.isArray(op.security) && op.security.length === 0));
    // Reads (events, export, metrics, analytics, Prometheus metrics, compat stats), validate, admin, access, erasure, logins.
    expect(others.length).toBeGreaterThanOrEqual(20);
    for (const p of ['/api/events', '/api/events/export', '/api/metrics', '/api/event/validate', '/api/access', '/metrics', '/v1/user/login', '/api/users/{user_id}']) {
      expect(others.map((o) => o.path)).toContain(p);
    }
    for (const { method, path } of others) {
      const url = path.replace(/\{[^}]+\}/g, '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10');
      const res = await t.http()[method as 'get' | 'post' | 'delete'](url).set('X-API-Key', keys.shop.secret).send(method === 'get' ? undefined : {});
      expect(`${method} ${path}: ${res.status}`).toBe(`${method} ${path}: 403`);
    }
    const refused = await t.http().get('/api/events').set('X-API-Key', keys.shop.secret);
    expect(refused.body).toMatchObject({ type: 'urn:tracking-service:problem:ingest-key-route', detail: expect.stringContaining('may only record events') });
  });
});

describe('how the key is sent', () => {
  it('is taken from Authorization: Bearer or X-API-Key only, never from the query string or the body', async () => {
    const query = await t.http().post(`/api/event?api_key=${keys.shop.secret}`).send({ user_id: 1, action: 'a' });
    expect(query.status).toBe(401);
    const body = await t.http().post('/api/event').send({ user_id: 1, action: 'a', api_key: keys.shop.secret });
    expect(body.status).toBe(401);
    expect(await storedSites()).toEqual([]);
  });
});

describe('CORS of ingest keys', () => {
  it('answers a request from one of the key origins with Access-Control-Allow-Origin and Vary: Origin', async () => {
    const res = await t.http().post('/api/event').set('X-API-Key', keys.shop.secret).set('Origin', SHOP).send({ user_id: 1, action: 'a' });
    expect(res.status).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
    expect(res.headers['access-control-expose-headers']).toContain('Location');
    const local = await t.http().post('/api/event').set('X-API-Key', keys.shop.secret).set('Origin', 'http://localhost:3000').send({ user_id: 1, action: 'a' });
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  });

  it('refuses a browser request from any other origin (403, no CORS headers), and one from any origin for a key without origins', async () => {
    for (const [secret, origin] of [[keys.shop.secret, EVIL], [keys.shop.secret, BLOG], [keys.shop.secret, 'null'], [keys.bare.secret, SHOP]]) {
      const res = await t.http().post('/api/event').set('X-API-Key', secret).set('Origin', origin).send({ user_id: 1, action: 'a' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: 'urn:tracking-service:problem:foreign-origin' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(await storedSites()).toEqual([]);
    // Without Origin (a server, an app) the key without origins works.
    expect((await t.http().post('/api/event').set('X-API-Key', keys.bare.secret).send({ user_id: 1, action: 'a' })).status).toBe(201);
  });

  it('answers the preflight of an ingestion route for the origins of active ingest keys only, and of no other route', async () => {
    const preflight = (path: string, origin: string, method = 'POST') =>
      t.http().options(path).set('Origin', origin).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', 'content-type,x-api-key');
    for (const path of ['/api/event', '/api/events/batch', '/event', '/api/ingestion/event']) {
      for (const origin of [SHOP, BLOG]) {
        const res = await preflight(path, origin);
        expect(res.status).toBe(204);
        expect(res.headers).toMatchObject({ 'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST' });
        expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type.*X-API-Key|X-API-Key.*Content-Type/);
        expect(res.headers['access-control-allow-headers']).toContain('Authorization');
        expect(res.headers.vary).toMatch(/\bOrigin\b/);
      }
    }
    for (const [path, origin, method] of [['/api/event', EVIL, 'POST'], ['/api/events', SHOP, 'GET'], ['/api/event/validate', SHOP, 'POST'], ['/api/metrics', SHOP, 'POST']]) {
      const res = await preflight(path, origin, method);
      expect(`${path} ${origin}: ${res.headers['access-control-allow-origin']}`).toBe(`${path} ${origin}: undefined`);
    }
  });

  it('leaves secret keys as they were: no CORS headers without CORS_ORIGINS, whatever the origin', async () => {
    const res = await t.http().post('/api/event').set('X-API-Key', keys.write.secret).set('Origin', SHOP).send({ user_id: 1, action: 'a' });
    expect(res.status).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((await t.http().get('/api/events').set('X-API-Key', keys.admin.secret)).status).toBe(200);
  });

  it('keeps CORS_ORIGINS for the rest of the API next to the ingest keys', async () => {
    const app = await startTestApp({ CORS_ORIGINS: 'https://dash.example' });
    try {
      const dash = await app.http().options('/api/events').set('Origin', 'https://dash.example').set('Access-Control-Request-Method', 'GET');
      expect(dash.headers['access-control-allow-origin']).toBe('https://dash.example');
      const shopRead = await app.http().options('/api/events').set('Origin', SHOP).set('Access-Control-Request-Method', 'GET');
      expect(shopRead.headers['access-control-allow-origin']).toBeUndefined();
      const shopIngest = await app.http().options('/api/event').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST');
      expect(shopIngest.status).toBe(204);
      expect(shopIngest.headers).toMatchObject({ 'access-control-allow-origin': SHOP, 'access-control-allow-methods': 'POST', 'access-control-max-age': '600' });
      expect(shopIngest.headers['access-control-allow-headers']).toContain('X-API-Key');
      expect(shopIngest.headers.vary).toMatch(/\bOrigin\b/);
      const evilIngest = await app.http().options('/api/event').set('Origin', EVIL).set('Access-Control-Request-Method', 'POST');
      expect(evilIngest.headers['access-control-allow-origin']).toBeUndefined();
      // A real request from a CORS_ORIGINS origin with a secret key is answered as before.
      const dashRead = await app.http().get('/api/events').set('X-API-Key', keys.admin.secret).set('Origin', 'https://dash.example');
      expect(dashRead.headers['access-control-allow-origin']).toBe('https://dash.example');
      // The ingest key is still held to its own origins, even from an origin CORS_ORIGINS allows.
      const fromDash = await app.http().post('/api/event').set('X-API-Key', keys.shop.secret).set('Origin', 'https://dash.example').send({ user_id: 1, action: 'a' });
      expect(fromDash.status).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe('limits and revocation', () => {
  it('is rate-limited like a write key (RATE_LIMIT_WRITE), the 429 readable by the page', async () => {
    const app = await startTestApp({ RATE_LIMIT_WRITE: '3' });
    try {
      // Sent together, so that all five fall in one second however long a write takes (Citus).
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          app.http().post('/api/event').set('X-API-Key', keys.shop.secret).set('Origin', SHOP).send({ user_id: i, action: 'a' }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429]);
      expect(results[0].headers['ratelimit-limit']).toBe('3');
      const limited = results.find((r) => r.status === 429)!;
      expect(limited.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(limited.headers['access-control-allow-origin']).toBe(SHOP);
      // Another ingest key has its own budget.
      expect((await app.http().post('/api/event').set('X-API-Key', keys.blog.secret).send({ user_id: 1, action: 'a' })).status).toBe(201);
    } finally {
      await app.close();
    }
  });

  it("counts a public key's budget per visitor address, a secret key's per key", async () => {
    const app = await startTestApp({ RATE_LIMIT_WRITE: '3', TRUST_PROXY: 'true' });
    try {
      const burst = (secret: string, addresses: string[]) =>
        Promise.all(
          addresses.map((address, i) =>
            app.http().post('/api/event').set('X-API-Key', secret).set('X-Forwarded-For', address).send({ user_id: i, action: 'a' }),
          ),
        ).then((results) => results.map((r) => r.status).sort());
      // One burst (all counted within the same second): four from one address, three from
      // another. With the public key each address has its own three: one refusal only.
      const [a, b] = ['203.0.113.1', '203.0.113.2'];
      expect(await burst(keys.shop.secret, [a, b, a, b, a, b, a])).toEqual([201, 201, 201, 201, 201, 201, 429]);
      // A secret key has one budget wherever its requests come from.
      expect(await burst(keys.write.secret, [a, b, a, b, a, b])).toEqual([201, 201, 201, 429, 429, 429]);
    } finally {
      await app.close();
    }
  });

  it('refuses a revoked ingest key (401) and stops answering preflights for its origins', async () => {
    const preflightFromBlog = async () =>
      (await t.http().options('/api/event').set('Origin', BLOG).set('Access-Control-Request-Method', 'POST')).headers['access-control-allow-origin'];
    expect(await preflightFromBlog()).toBe(BLOG);
    expect((await t.http().post('/api/event').set('X-API-Key', keys.blog.secret).send({ user_id: 1, action: 'a' })).status).toBe(201);
    const res = await keysCli('revoke', keys.blog.id);
    expect(res.code).toBe(0);
    await waitFor(async () => (await t.http().post('/api/event').set('X-API-Key', keys.blog.secret).send({ user_id: 1, action: 'a' })).status === 401, 2 * KEY_CACHE_MS + 1000, 'the revoked key to be refused');
    await waitFor(async () => (await preflightFromBlog()) === undefined, 2 * KEY_CACHE_MS + 1000, 'the preflight to stop');
    expect(await preflightFromBlog()).toBeUndefined();
    // The shop key's origins are still answered.
    expect((await t.http().options('/api/event').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST')).status).toBe(204);
  });
});
