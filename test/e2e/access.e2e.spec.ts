import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import { SITE_ROUTES } from '../../src/access/ports/http/site-routes';
import { OPENABLE_WRITE_ROUTES } from '../../src/config';
import { spawnNode } from '../support/process';
import { startTestApp, TestApp } from '../support/test-app';

/** API keys and scopes: open mode, keys created and revoked with the CLI, 401/403 per scope. */
jest.setTimeout(60_000);

async function keysCli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = spawnNode('dist/cmd/keys.js', args, {});
  const code = await cli.exited;
  return { code, output: cli.output() };
}

const waitForCache = () => new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
});
afterAll(async () => {
  await t.db.query('TRUNCATE api_keys'); // leave the database open for the other test files
  await t.close();
});

const ROUTES: Array<{ method: 'get' | 'post'; path: string; body?: object; scope: 'read' | 'write' | 'admin' }> = [
  { method: 'post', path: '/api/event', body: { user_id: 1, action: 'a' }, scope: 'write' },
  { method: 'post', path: '/api/event/validate', body: { user_id: 1, action: 'a' }, scope: 'write' },
  { method: 'post', path: '/api/events/batch', body: { events: [{ user_id: 1, action: 'a' }] }, scope: 'write' },
  { method: 'get', path: '/api/events', scope: 'read' },
  { method: 'get', path: '/api/events/0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10', scope: 'read' },
  { method: 'post', path: '/api/metrics', body: {}, scope: 'admin' },
  { method: 'get', path: '/api/metrics', scope: 'read' },
  { method: 'get', path: '/api/metrics/windows', scope: 'read' },
];

describe('API keys', () => {
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};

  it('runs open while no key exists, and says so in /health/ready', async () => {
    expect((await t.http().get('/api/events')).status).toBe(200);
    const ready = await t.http().get('/health/ready');
    expect(ready.body.info.access).toMatchObject({ status: 'up', mode: 'open', warning: expect.stringContaining('open') });
  });

  it('creates keys with the CLI, showing each secret once', async () => {
    for (const scope of ['read', 'write', 'admin']) {
      const res = await keysCli('create', '--name', `${scope}-key`, '--scope', scope, '--json');
      expect(res.code).toBe(0);
      const created = JSON.parse(res.output);
      expect(created).toMatchObject({ name: `${scope}-key`, scope, revoked_at: null, secret: expect.stringMatching(/^tsk_[\w-]{43}$/) });
      secrets[scope] = created.secret;
      ids[scope] = created.id;
    }
    const list = await keysCli('list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.output).keys.map((k: { scope: string }) => k.scope)).toEqual(['read', 'write', 'admin']);
    expect(list.output).not.toContain('tsk_');
    const [stored] = await t.db.query('SELECT secret_hash FROM api_keys WHERE id = $1', [ids.read]);
    expect(stored.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.secret_hash).not.toContain(secrets.read.slice(4));
    await waitForCache();
  });

  it.each(ROUTES)('$method $path answers 401 without a valid key', async ({ method, path, body }) => {
    for (const headers of [{}, { Authorization: 'Bearer tsk_wrong' }, { 'X-API-Key': 'nope' }, { Authorization: 'Basic dTpw' }]) {
      const res = await t.http()[method](path).set(headers).send(body);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it.each(ROUTES)('$method $path needs the $scope scope (or admin)', async ({ method, path, body, scope }) => {
    for (const granted of ['read', 'write', 'admin']) {
      const viaBearer = await t.http()[method](path).set('Authorization', `Bearer ${secrets[granted]}`).send(body);
      const viaHeader = await t.http()[method](path).set('X-API-Key', secrets[granted]).send(body);
      const allowed = granted === 'admin' || granted === scope;
      for (const res of [viaBearer, viaHeader]) {
        if (allowed) expect([200, 201, 404]).toContain(res.status);
        else {
          expect(res.status).toBe(403);
          expect(res.body).toMatchObject({ status: 403, detail: expect.stringContaining(scope) });
        }
      }
    }
  });

  it('protects every documented route but health, including routes added later', async () => {
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })));
    // Health checks stay public, the compat ones (GET /health, /api/healthcheck) included, and so does the tracker's script.
    const protectedRoutes = routes.filter((r) => !r.path.startsWith('/health') && r.path !== '/api/healthcheck' && r.path !== '/t.js');
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(ROUTES.length);
    for (const { method, path } of protectedRoutes) {
      const url = path.replace(/\{[^}]+\}/g, '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10');
      // A keyless request on a SITE_ROUTES route names its site: one without a public key is refused.
      const siteField = SITE_ROUTES.get(`${method.toUpperCase()} ${path}`)?.field;
      const body = siteField ? siteField.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), 'no-public-key-site') : {};
      const res = await t.http()[method as 'get' | 'post'](url).send(method === 'get' ? undefined : (body as object));
      expect(`${method} ${path}: ${res.status}`).toBe(`${method} ${path}: 401`);
    }
  });

  it('keeps health and the API documentation public', async () => {
    expect((await t.http().get('/health/live')).status).toBe(200);
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.access).toEqual({ status: 'up', mode: 'keys' });
    expect((await t.http().get('/docs-json')).status).toBe(200);
  });

  it('documents the key in Swagger', async () => {
    const doc = (await t.http().get('/docs-json')).body;
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
  });

  it('revokes a key with the CLI: it stops working within seconds', async () => {
    expect((await t.http().get('/api/events').set('X-API-Key', secrets.read)).status).toBe(200);
    const res = await keysCli('revoke', ids.read);
    expect(res.code).toBe(0);
    await waitForCache();
    expect((await t.http().get('/api/events').set('X-API-Key', secrets.read)).status).toBe(401);
    expect((await t.http().get('/api/events').set('X-API-Key', secrets.admin)).status).toBe(200);
  });

  it('exits 2 on bad arguments and 1 on an unknown key id', async () => {
    expect((await keysCli('create', '--name', 'x', '--scope', 'root')).code).toBe(2);
    expect((await keysCli('create', '--scope', 'read')).code).toBe(2);
    expect((await keysCli('revoke', 'not-an-id')).code).toBe(2);
    expect((await keysCli('frobnicate')).code).toBe(2);
    const unknown = await keysCli('revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('No API key');
  });
});

describe('REQUIRE_API_KEYS=true', () => {
  it('closes the open mode: without keys every route but health answers 401', async () => {
    await t.db.query('TRUNCATE api_keys');
    const closed = await startTestApp({ REQUIRE_API_KEYS: 'true' });
    try {
      for (const { method, path, body } of ROUTES) {
        expect((await closed.http()[method](path).send(body)).status).toBe(401);
      }
      expect((await closed.http().get('/health/live')).status).toBe(200);
      expect((await closed.http().get('/health/ready')).body.info.access).toEqual({ status: 'up', mode: 'keys' });
    } finally {
      await closed.close();
    }
  });
});

describe('rate limits', () => {
  it('limits each key per scope, with RateLimit headers and 429 + Retry-After beyond', async () => {
    await t.db.query('TRUNCATE api_keys');
    const limited = await startTestApp({ RATE_LIMIT_WRITE: '5', RATE_LIMIT_READ: '3' });
    try {
      // Open mode: the limit applies per client address.
      const open = [];
      for (let i = 0; i < 7; i++) open.push(await limited.http().post('/api/event/validate').send({ user_id: 1, action: 'a' }));
      expect(open.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(open[0].headers).toMatchObject({ 'ratelimit-limit': '5', 'ratelimit-remaining': '4', 'ratelimit-reset': expect.stringMatching(/^\d+$/) });
      expect(open[5].headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(open[5].headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(open[5].body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      // Reads have their own budget; a batch counts as one request.
      expect((await limited.http().get('/api/events')).status).toBe(200);

      // With keys: each key has its own budget.
      const a = JSON.parse((await keysCli('create', '--name', 'a', '--scope', 'write', '--json')).output).secret;
      const b = JSON.parse((await keysCli('create', '--name', 'b', '--scope', 'write', '--json')).output).secret;
      await waitForCache();
      const batch = { events: Array.from({ length: 50 }, () => ({ user_id: 1, action: 'a' })) };
      // Sent together, so that all six fall in one second however long a write takes (Citus).
      const withA = await Promise.all(
        Array.from({ length: 6 }, async () => (await limited.http().post('/api/events/batch').set('X-API-Key', a).send(batch)).status),
      );
      expect(withA.sort()).toEqual([200, 200, 200, 200, 200, 429]);
      expect((await limited.http().post('/api/events/batch').set('X-API-Key', b).send(batch)).status).toBe(200);
      // The window passes: the key may send again.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await limited.http().post('/api/events/batch').set('X-API-Key', a).send(batch)).status).toBe(200);
    } finally {
      await limited.close();
      await t.db.query('TRUNCATE api_keys');
    }
  });
});

/** One request from a given client address (Fastify's inject sets the socket's address). */
async function from(app: TestApp, remoteAddress: string, method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, body?: object) {
  const res = await app.app.getHttpAdapter().getInstance().inject({ method, url, headers, remoteAddress, payload: body });
  return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : undefined };
}

describe('failed authentications', () => {
  it('answers 429 to an address after AUTH_FAILURE_LIMIT unknown keys, before looking its keys up; other addresses still get 401', async () => {
    await t.db.query('TRUNCATE api_keys');
    const guarded = await startTestApp({ REQUIRE_API_KEYS: 'true', AUTH_FAILURE_LIMIT: '5' });
    const keys = guarded.app.get(ApiKeyRepository);
    try {
      const valid = newSecret();
      await keys.create({ id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a11', name: 'valid', scope: 'admin', secretHash: hashSecret(valid), siteId: null, origins: [] });
      const lookups = jest.spyOn(keys, 'findActiveByHash');
      const statuses = [];
      for (let i = 0; i < 8; i++) {
        statuses.push((await from(guarded, '203.0.113.7', 'GET', '/api/events', { 'X-API-Key': `tsk_guess-${i}` })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      expect(lookups).toHaveBeenCalledTimes(5); // the refused guesses were never looked up
      const refused = await from(guarded, '203.0.113.7', 'POST', '/api/event', { Authorization: `Bearer ${valid}` }, { user_id: 1, action: 'a' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ status: 429, type: 'urn:tracking-service:problem:too-many-auth-failures', detail: expect.stringContaining('failed authentications') });
      expect(lookups).toHaveBeenCalledTimes(5);
      // Without a key the answer stays 401: asking for a key costs nothing and guesses nothing.
      expect((await from(guarded, '203.0.113.7', 'GET', '/api/events')).status).toBe(401);
      // Another address: its own budget.
      expect((await from(guarded, '203.0.113.8', 'GET', '/api/events', { 'X-API-Key': 'tsk_guess-x' })).status).toBe(401);
      expect((await from(guarded, '203.0.113.8', 'GET', '/api/events', { 'X-API-Key': valid })).status).toBe(200);
      // Valid keys and a wrong scope are not failed authentications.
      const reader = newSecret();
      await keys.create({ id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a12', name: 'reader', scope: 'read', secretHash: hashSecret(reader), siteId: null, origins: [] });
      for (let i = 0; i < 8; i++) {
        expect((await from(guarded, '203.0.113.9', 'POST', '/api/metrics', { 'X-API-Key': reader }, {})).status).toBe(403);
      }
      expect((await from(guarded, '203.0.113.9', 'GET', '/api/events', { 'X-API-Key': reader })).status).toBe(200);
    } finally {
      await guarded.close();
      await t.db.query('TRUNCATE api_keys');
    }
  });
});

describe('TRUST_PROXY: the client address behind a load balancer', () => {
  it('budgets each forwarded client on its own only when the proxy is trusted', async () => {
    await t.db.query('TRUNCATE api_keys');
    const proxy = '10.1.2.3';
    const guess = (app: TestApp, client: string, i: number) =>
      from(app, proxy, 'GET', '/api/events', { 'X-API-Key': `tsk_guess-${i}`, 'X-Forwarded-For': client }).then((r) => r.status);
    const trusting = await startTestApp({ REQUIRE_API_KEYS: 'true', AUTH_FAILURE_LIMIT: '3', TRUST_PROXY: '10.0.0.0/8' });
    try {
      const first = [];
      for (let i = 0; i < 4; i++) first.push(await guess(trusting, '198.51.100.20', i));
      expect(first).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy keeps its own budget.
      expect(await guess(trusting, '198.51.100.21', 9)).toBe(401);
    } finally {
      await trusting.close();
    }
    // Not trusted (the default): X-Forwarded-For is ignored, so every client is the proxy.
    const plain = await startTestApp({ REQUIRE_API_KEYS: 'true', AUTH_FAILURE_LIMIT: '3' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await guess(plain, `198.51.100.${30 + i}`, i));
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await plain.close();
    }
  });
});

describe('OPEN_WRITE_ROUTES', () => {
  const seed004 = { site_id: 's', event_type: 'page_view', path: '/p', user_id: 'u', timestamp: '2025-11-12T19:30:01Z' };
  const seed000 = { user_id: 'u', login_time: '2025-08-09T16:30:00Z' };

  it('leaves the chosen compatibility write routes open without a key, rate-limited per address; everything else needs one', async () => {
    await t.db.query('TRUNCATE api_keys');
    const app = await startTestApp({ REQUIRE_API_KEYS: 'true', OPEN_WRITE_ROUTES: 'POST /event, POST /v1/user/login', RATE_LIMIT_WRITE: '3' });
    try {
      // Sent together, so that all four fall in one second however long a write takes (Citus).
      const posts = await Promise.all(
        Array.from({ length: 4 }, (_, i) => from(app, '198.51.100.1', 'POST', '/event', {}, { ...seed004, path: `/p${i}` })),
      );
      expect(posts.map((r) => r.status).sort()).toEqual([202, 202, 202, 429]);
      expect(posts[0].headers['ratelimit-limit']).toBe('3');
      expect(posts.find((r) => r.status === 429)!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      // Another address has its own budget.
      expect((await from(app, '198.51.100.2', 'POST', '/event', {}, seed004)).status).toBe(202);
      expect((await from(app, '198.51.100.2', 'POST', '/v1/user/login', {}, seed000)).status).toBe(202);
      const [{ n }] = await app.db.query("SELECT count(*)::int AS n FROM events WHERE user_id = 'u'");
      expect(n).toBe(5);
      // A route not listed, native routes and reads still need a key.
      const closed: Array<['GET' | 'POST', string, object?]> = [
        ['POST', '/api/ingestion/event', seed004],
        ['POST', '/api/event', { user_id: 1, action: 'a' }],
        ['POST', '/api/events/batch', { events: [{ user_id: 1, action: 'a' }] }],
        ['POST', '/api/metrics', {}],
        ['GET', '/stats?site_id=s'],
        ['GET', '/v1/user/uniques/daily?date=2025-08-09'],
        ['GET', '/api/events'],
      ];
      for (const [method, url, body] of closed) {
        expect(`${method} ${url}: ${(await from(app, '198.51.100.3', method, url, {}, body)).status}`).toBe(`${method} ${url}: 401`);
      }
      // A key sent to an open route is checked all the same.
      expect((await from(app, '198.51.100.3', 'POST', '/event', { 'X-API-Key': 'tsk_wrong' }, seed004)).status).toBe(401);
      // The served OpenAPI document says so too: no key needed there, a key still accepted.
      const doc = (await app.http().get('/docs-json')).body;
      expect(doc.paths['/event'].post.security).toEqual([{}, { bearer: [] }, { 'api-key': [] }]);
      expect(doc.paths['/api/ingestion/event'].post.security).toBeUndefined(); // the global requirement: a key
      // Readiness says which routes are open.
      expect((await app.http().get('/health/ready')).body.info.access).toEqual({
        status: 'up',
        mode: 'keys',
        open_write_routes: ['POST /event', 'POST /v1/user/login'],
      });
    } finally {
      await app.close();
    }
  });

  it('lists only routes that exist and are compatibility writes', async () => {
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    for (const route of OPENABLE_WRITE_ROUTES) {
      const [method, path] = route.split(' ');
      expect(`${route}: ${Boolean(doc.paths[path]?.[method.toLowerCase()])}`).toBe(`${route}: true`);
      expect(path.startsWith('/api/event')).toBe(false);
    }
  });

  it('refuses to start with a route it cannot open, naming the variable', async () => {
    const server = spawnNode('dist/src/main.js', [], { OPEN_WRITE_ROUTES: 'POST /event,POST /api/events/batch', PORT: '1' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('OPEN_WRITE_ROUTES may list only compatibility write routes');
    expect(server.output()).toContain('"POST /api/events/batch"');
  });
});
