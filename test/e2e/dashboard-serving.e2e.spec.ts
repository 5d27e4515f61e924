import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, newSecret } from '../../src/access/domain/api-key';
import { DASHBOARD_ROUTES, dashboardDir } from '../../src/dashboard/serve-dashboard';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The dashboard is served by the API's own process (built by `npm run build`, which pretest
 * runs): its client routes answer index.html under a strict content security policy, its
 * assets are cached for good, and no API path changes meaning.
 */
jest.setTimeout(60_000);

const root = dashboardDir();

describe('the dashboard, served at /', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.reset();
  });
  afterAll(async () => {
    await t.db.query('TRUNCATE api_keys');
    await t.close();
  });

  it('is built into dist/web by npm run build', () => {
    expect(root).not.toBeNull();
  });

  it.each(DASHBOARD_ROUTES.map((route) => route.replace(':userId', 'user%2042')))('answers the app shell at %s, never cached', async (path) => {
    const res = await t.http().get(path).set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<div id="app"></div>');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('sends a content security policy without inline scripts or styles on the dashboard and the API', async () => {
    for (const path of ['/', '/events', '/api/events']) {
      const csp: string = (await t.http().get(path)).headers['content-security-policy'];
      const directives = Object.fromEntries(csp.split(';').map((d) => [d.trim().split(' ')[0], d.trim()]));
      expect(directives['script-src']).toBe(`script-src 'self'`);
      expect(directives['style-src']).toBe(`style-src 'self'`);
      expect(directives['connect-src']).toBe(`connect-src 'self'`);
      expect(directives['frame-ancestors']).toBe(`frame-ancestors 'none'`);
      // Served over plain http on a private address, the browser must not upgrade /assets to https.
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });

  it('keeps the looser policy Swagger UI needs on /docs only', async () => {
    const res = await t.http().get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain(`script-src 'self' 'unsafe-inline'`);
  });

  it('serves the built assets with immutable caching, pre-compressed when the browser accepts it', async () => {
    const script = readdirSync(join(root!, 'assets')).find((name) => /^index-.*\.js$/.test(name))!;
    const plain = await t.http().get(`/assets/${script}`).set('Accept-Encoding', 'identity');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const brotli = await t.http().get(`/assets/${script}`).set('Accept-Encoding', 'br, gzip').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(Number(brotli.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']));
  });

  it('leaves every API path its meaning: an unknown /api path or asset is a 404 problem, not the page', async () => {
    for (const path of ['/api/nope', '/api/events/x/y', '/assets/missing.js', '/nope', '/v1/nope', '/.vite/manifest.json']) {
      const res = await t.http().get(path).set('Accept', 'text/html');
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({ path, status: 404, type: expect.stringMatching(/^application\/problem\+json/) });
    }
    const health = await t.http().get('/health');
    expect(health.headers['content-type']).toMatch(/^application\/json/);
    expect((await t.http().get('/metrics')).headers['content-type']).toMatch(/^text\/plain/);
    expect((await t.http().get('/docs-json')).body.openapi).toMatch(/^3\./);
  });
});

describe('GET /api/access', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.reset();
  });
  afterAll(async () => {
    await t.db.query('TRUNCATE api_keys');
    await t.close();
  });

  it('says the service is open while no key exists', async () => {
    const res = await t.http().get('/api/access');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ mode: 'open' });
  });

  it('names the key and its scope, for any scope, once keys exist; 401 without a key or with an unknown one', async () => {
    const secrets: Record<string, string> = {};
    for (const scope of ['read', 'write', 'admin'] as const) {
      secrets[scope] = newSecret();
      await t.db.query(`INSERT INTO api_keys (id, name, scope, secret_hash) VALUES (gen_random_uuid(), $1, $2, $3)`, [`${scope}-key`, scope, hashSecret(secrets[scope])]);
    }
    // The authenticator caches "no key exists" for up to KEY_CACHE_MS.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const missing = await t.http().get('/api/access');
    expect(missing.status).toBe(401);
    for (const scope of ['read', 'write', 'admin'] as const) {
      const res = await t.http().get('/api/access').set('Authorization', `Bearer ${secrets[scope]}`);
      expect(res.body).toEqual({ mode: 'keys', key: { name: `${scope}-key`, scope } });
    }
    const wrong = await t.http().get('/api/access').set('Authorization', `Bearer ${newSecret()}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('DASHBOARD_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DASHBOARD_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  it('serves no page and no asset: / is the API 404', async () => {
    expect((await t.http().get('/')).status).toBe(404);
    expect((await t.http().get('/events')).status).toBe(404);
  });
});
