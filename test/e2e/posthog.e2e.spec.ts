import { gzipSync } from 'node:zlib';
import { CommandBus } from '@nestjs/cqrs';
import { PostHog } from 'posthog-node';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { posthogEventId } from '../../src/posthog/application/posthog-events';
import { FlakyProxy } from '../support/flaky-proxy';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * PostHog's capture API, driven by the real posthog-node SDK (only its host and key changed)
 * through a tiny HTTP proxy that lets the first attempt reach the service and then answers 503,
 * so the SDK's retry is exercised against an already stored batch; and by hand for the body
 * forms posthog-js sends, gzip bombs, keys, sites, validation and duplicates.
 */
jest.setTimeout(90_000);

let t: TestApp;
let writeSecret: string;
let writeKeyId: string;
let ingestSecret: string;
let ingestKeyId: string;
let readSecret: string;
let proxy: FlakyProxy<{ encoding: string | undefined; type: string | undefined; agent: string | undefined }>;
let openAnswer: { status: number; body: unknown };
let openRows: unknown[];

type Row = { id: string; user_id: string; action: string; occurred_at: Date; site_id: string | null; path: string | null; metadata: Record<string, unknown> };
async function rows(): Promise<Row[]> {
  return t.db.query(`SELECT id, user_id, action, occurred_at, site_id, path, metadata FROM events ORDER BY occurred_at, action`);
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  // While no key exists the service runs open: any project key (the SDK always sends one) is accepted.
  openAnswer = await t.http().post('/capture/').send({ api_key: 'phc_anything', event: 'opened', distinct_id: 'open-user', uuid: 'open-1' });
  openRows = await t.db.query('SELECT id, user_id, action FROM events');
  await t.db.query('TRUNCATE events, event_ids');
  const bus = t.app.get(CommandBus);
  const write = await bus.execute(new CreateApiKeyCommand('posthog writer', 'write'));
  writeSecret = write.secret;
  writeKeyId = write.key.id;
  readSecret = (await bus.execute(new CreateApiKeyCommand('reader', 'read'))).secret;
  const ingest = await bus.execute(new CreateApiKeyCommand('posthog project', 'ingest', { siteId: 'shop', origins: [] }));
  ingestSecret = ingest.secret;
  ingestKeyId = ingest.key.id;
  await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200)); // the open mode's cached answer ends
  proxy = await new FlakyProxy(t, { status: 503, contentType: 'application/json', body: '{"type":"server_error","code":"injected","detail":"injected","attr":null}', when: 'after-storing' }, (req) => ({ encoding: req.headers['content-encoding'] as string | undefined, type: req.headers['content-type'], agent: req.headers['user-agent'] })).start();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE events, event_ids');
  proxy.attempts.length = 0;
  proxy.failNext = 0;
});
afterAll(async () => {
  await proxy.close();
  await t.db.query('TRUNCATE api_keys');
  await t.reset();
  await t.close();
});

describe('the real posthog-node SDK', () => {
  const at = (s: number) => new Date(Date.now() - 120_000 + s * 1000);
  const near = (d: Date, s: number) => Math.abs(new Date(d).getTime() - at(s).getTime()) < 30_000;

  it('sends events (gzip); the first attempt fails after the service stored it, the retry stores each event exactly once with user, action, time, site, path and metadata', async () => {
    // The quick-start, with the host and key changed (and a short retry delay for the test).
    const client = new PostHog(ingestSecret, { host: proxy.url, flushAt: 100, flushInterval: 0, fetchRetryDelay: 50 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    client.capture({ distinctId: 'user-42', event: 'order completed', properties: { revenue: 42.5, currency: 'EUR', $current_url: 'https://shop.example/checkout?step=2' }, timestamp: at(1) });
    client.identify({ distinctId: 'user-42', properties: { plan: 'pro' } });
    client.capture({ distinctId: 'anon-7', event: '$pageview', properties: { $current_url: 'https://shop.example/pricing#plans', title: 'Pricing' }, timestamp: at(3) });
    client.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { employees: 50 }, distinctId: 'user-42' });
    client.alias({ distinctId: 'user-42', alias: 'anon-7' });
    client.capture({ distinctId: 'user-42', event: '$screen', properties: { $screen_name: 'Home', $pathname: '/home' }, timestamp: at(6) });
    client.captureException(new TypeError('cart is undefined'), 'user-42', { area: 'checkout' });
    proxy.failNext = 1;
    await client.shutdown(30_000);
    expect(errors).toEqual([]);
    // The SDK posted gzip to /batch/, got 503 (the batch was stored), retried and got 200.
    expect(proxy.attempts.map((a) => [a.path, a.status, a.encoding])).toEqual([
      ['/batch/', 503, 'gzip'],
      ['/batch/', 200, 'gzip'],
    ]);
    // isbot flags this user agent; these routes must not filter it.
    expect(proxy.attempts[0].agent).toMatch(/^posthog-node\//);
    const stored = await rows();
    expect(stored).toHaveLength(7);
    const byAction = Object.fromEntries(stored.map((r) => [r.action, r]));
    expect(Object.keys(byAction).sort()).toEqual(['alias', 'exception', 'group', 'identify', 'order completed', 'page_view', 'screen_view']);
    for (const r of stored) expect(r.site_id).toBe('shop');
    expect(byAction['order completed']).toMatchObject({ user_id: 'user-42', path: '/checkout', metadata: { revenue: 42.5, currency: 'EUR', $current_url: 'https://shop.example/checkout?step=2', $lib: 'posthog-node' } });
    expect(byAction.page_view).toMatchObject({ user_id: 'anon-7', path: '/pricing', metadata: { title: 'Pricing' } });
    expect(byAction.screen_view).toMatchObject({ user_id: 'user-42', path: '/home', metadata: { $screen_name: 'Home' } });
    expect(byAction.identify).toMatchObject({ user_id: 'user-42', path: null, metadata: { $set: { plan: 'pro' } } });
    expect(byAction.group).toMatchObject({ user_id: 'user-42', metadata: { $group_type: 'company', $group_key: 'acme', $group_set: { employees: 50 } } });
    expect(byAction.alias).toMatchObject({ user_id: 'user-42', metadata: { alias: 'anon-7' } });
    // An exception keeps which error it was, not its stack frames.
    expect(byAction.exception).toMatchObject({ user_id: 'user-42', metadata: { area: 'checkout', $exception_type: 'TypeError', $exception_message: 'cart is undefined', $exception_count: 1 } });
    expect(byAction.exception.metadata).not.toHaveProperty('$exception_list');
    for (const r of stored) expect(Object.keys(r.metadata)).not.toEqual(expect.arrayContaining(['token']));
    expect(near(byAction['order completed'].occurred_at, 1)).toBe(true);
    expect(near(byAction.page_view.occurred_at, 3)).toBe(true);
    expect(near(byAction.screen_view.occurred_at, 6)).toBe(true);
    // The SDK's uuids are the idempotency keys: each event id is made from one (a UUIDv5), not
    // generated on receipt (a UUIDv7), which is why the retried batch stored nothing twice.
    for (const r of stored) expect(r.id[14]).toBe('5');
  });

  it('sends plain JSON when compression is off, with a secret key and the site as a property', async () => {
    const client = new PostHog(writeSecret, { host: proxy.url, flushAt: 100, flushInterval: 0, fetchRetryDelay: 50, disableCompression: true });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    client.capture({ distinctId: 7, event: 'signed up', properties: { site_id: 'blog', plan: 'free' }, timestamp: at(1), uuid: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10' } as never);
    await client.shutdown(30_000);
    expect(errors).toEqual([]);
    expect(proxy.attempts.map((a) => [a.path, a.status, a.encoding, a.type])).toEqual([['/batch/', 200, undefined, 'application/json']]);
    const [row] = await rows();
    expect(row).toMatchObject({ id: posthogEventId(writeKeyId, 'blog', '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10'), user_id: '7', action: 'signed up', site_id: 'blog', path: null });
    expect(row.metadata).toMatchObject({ plan: 'free' });
    expect(row.metadata).not.toHaveProperty('site_id');
  });
});

describe('POST /batch/, /capture/, /e/, /i/v0/e/ by hand', () => {
  const event = (uuid: string, extra: Record<string, unknown> = {}) => ({
    event: 'clicked',
    distinct_id: 'u1',
    uuid,
    timestamp: '2025-10-23T13:07:00Z',
    properties: { button: 'buy', $current_url: 'https://x.example/a/b?c=1' },
    ...extra,
  });
  const js = (uuid: string) => ({ uuid, event: '$pageview', timestamp: '2025-10-23T13:07:00Z', properties: { token: writeSecret, distinct_id: 'anon-js', $current_url: 'https://x.example/js', $lib: 'web' } });

  it('accepts any key while the service runs open (no key exists), deduplicating by uuid without a key', () => {
    expect(openAnswer).toMatchObject({ status: 200, body: { status: 1 } });
    expect(openRows).toEqual([{ id: posthogEventId(null, null, 'open-1'), user_id: 'open-user', action: 'opened' }]);
  });

  it('serves each path with and without the trailing slash, in each of the three body shapes', async () => {
    const paths = ['/batch/', '/batch', '/capture/', '/capture', '/e/', '/e', '/i/v0/e/', '/i/v0/e'];
    for (const [i, path] of paths.entries()) {
      const batch = await t.http().post(path).send({ api_key: writeSecret, batch: [event(`b${i}`)] });
      expect([path, batch.status, batch.body]).toEqual([path, 200, { status: 1 }]);
      const single = await t.http().post(path).send({ api_key: writeSecret, ...event(`s${i}`) });
      expect([path, single.status]).toEqual([path, 200]);
      // Older posthog-js: an array of events, the key in each event's properties.token.
      const array = await t.http().post(path).send([js(`a${i}`)]);
      expect([path, array.status]).toEqual([path, 200]);
    }
    const stored = await rows();
    expect(stored).toHaveLength(24);
    expect(stored.filter((r) => r.action === 'clicked').every((r) => r.path === '/a/b' && r.user_id === 'u1')).toBe(true);
    expect(stored.filter((r) => r.action === 'page_view').every((r) => r.path === '/js' && r.user_id === 'anon-js' && !('token' in r.metadata))).toBe(true);
  });

  it('reads gzip bodies however they come: Content-Encoding: gzip, ?compression=gzip-js, or unlabelled text/plain as posthog-js sends; and its base64 form', async () => {
    const zipped = (uuid: string) => gzipSync(JSON.stringify({ api_key: writeSecret, batch: [event(uuid)], sent_at: '2025-10-23T13:07:00Z' }));
    const header = await t.http().post('/batch/').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((raw: unknown) => raw as string).send(zipped('g1'));
    expect(header.status).toBe(200);
    const query = await t.http().post('/e/?compression=gzip-js&ver=1.449.2&_=1700000000000').set('Content-Type', 'text/plain').send(zipped('g2'));
    expect(query.status).toBe(200);
    const sniffed = await t.http().post('/e/').set('Content-Type', 'text/plain').send(zipped('g3'));
    expect(sniffed.status).toBe(200);
    const plainText = await t.http().post('/i/v0/e/').set('Content-Type', 'text/plain').send(JSON.stringify({ api_key: writeSecret, batch: [event('g4')] }));
    expect(plainText.status).toBe(200);
    expect((await rows()).map((r) => r.user_id)).toEqual(['u1', 'u1', 'u1', 'u1']);
    // Said to be gzip but is not: 400 naming gzip, in PostHog's shape.
    const broken = await t.http().post('/e/?compression=gzip-js').set('Content-Type', 'text/plain').send('{"api_key": "x"}');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ type: 'validation_error', detail: expect.stringContaining('gzip') });
    // posthog-js' sendBeacon form (on unload): data=<base64 of the JSON>, with or without the query.
    const form = (uuid: string) => `data=${encodeURIComponent(Buffer.from(JSON.stringify({ api_key: writeSecret, batch: [event(uuid)] })).toString('base64'))}`;
    const base64 = await t.http().post('/e/?compression=base64').set('Content-Type', 'application/x-www-form-urlencoded').send(form('g5'));
    expect(base64.status).toBe(200);
    expect((await t.http().post('/batch').set('Content-Type', 'application/x-www-form-urlencoded').send(form('g6'))).status).toBe(200);
    expect((await rows()).length).toBe(6);
    const noData = await t.http().post('/e/?compression=base64').set('Content-Type', 'application/x-www-form-urlencoded').send('other=1');
    expect(noData.status).toBe(400);
    expect(noData.body.detail).toContain('data=');
    const lz64 = await t.http().post('/e/?compression=lz64').set('Content-Type', 'text/plain').send('{}');
    expect(lz64.status).toBe(415);
    expect(lz64.body.detail).toContain('compression=lz64');
    // Elsewhere a form is still a 415.
    expect((await t.http().post('/api/event').set('Content-Type', 'application/x-www-form-urlencoded').send('data=e30=')).status).toBe(415);
  });

  it('refuses a gzip bomb with 413 naming the limit, whichever way it says it is gzip, and stores nothing', async () => {
    // 64 MiB of JSON whitespace inside a valid batch: about 64 KiB compressed.
    const bomb = gzipSync(Buffer.concat([Buffer.from(`{"api_key": "${writeSecret}", "batch": [`), Buffer.alloc(64 * 1024 * 1024, ' '), Buffer.from(']}')]));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const sends = [
      t.http().post('/batch/').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((raw: unknown) => raw as string).send(bomb),
      t.http().post('/e/?compression=gzip-js').set('Content-Type', 'text/plain').send(bomb),
      t.http().post('/e/').set('Content-Type', 'text/plain').send(bomb),
    ];
    for (const answer of await Promise.all(sends)) {
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ type: 'validation_error', code: 'payload_too_large', detail: expect.stringContaining('5242880 bytes') });
    }
    const many = await t.http().post('/batch/').send({ api_key: writeSecret, batch: Array.from({ length: 1001 }, (_, i) => event(`m${i}`)) });
    expect(many.status).toBe(413);
    expect(many.body.detail).toContain('1000 events');
    expect(await rows()).toEqual([]);
  });

  it('takes the key from api_key, token, Bearer or X-API-Key; 401 for a missing or unknown key and 403 for a read key, in PostHog’s shape', async () => {
    expect((await t.http().post('/capture/').send({ api_key: writeSecret, ...event('k1') })).status).toBe(200);
    expect((await t.http().post('/capture/').send({ token: writeSecret, ...event('k2') })).status).toBe(200);
    expect((await t.http().post('/capture/').set('Authorization', `Bearer ${writeSecret}`).send(event('k3'))).status).toBe(200);
    expect((await t.http().post('/capture/').set('X-API-Key', writeSecret).send(event('k4'))).status).toBe(200);
    const missing = await t.http().post('/capture/').send(event('k5'));
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key', detail: expect.any(String), attr: null });
    const wrong = await t.http().post('/batch/').send({ api_key: 'phc_wrong', batch: [event('k6')] });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_api_key');
    const reader = await t.http().post('/batch/').send({ api_key: readSecret, batch: [event('k7')] });
    expect(reader.status).toBe(403);
    expect(reader.body.type).toBe('authentication_error');
    // A header, when sent, wins over the body's key (no SDK sends both; whoever sets it means it).
    const header = await t.http().post('/batch/').set('X-API-Key', readSecret).send({ api_key: writeSecret, batch: [event('k8')] });
    expect(header.status).toBe(403);
    expect((await rows()).length).toBe(4);
  });

  it('an ingest key binds its events to its site: left out is filled in, another site is refused (403, nothing stored)', async () => {
    const ok = await t.http().post('/batch/').send({ api_key: ingestSecret, batch: [event('i1'), { ...event('i2'), properties: undefined }, event('i3', { properties: { site_id: 'shop' } })] });
    expect(ok.status).toBe(200);
    expect((await rows()).map((r) => r.site_id)).toEqual(['shop', 'shop', 'shop']);
    await t.db.query('TRUNCATE events, event_ids');
    const foreign = await t.http().post('/batch/').send({ api_key: ingestSecret, batch: [event('i4'), event('i5', { properties: { site_id: 'blog' } })] });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ type: 'authentication_error', detail: expect.stringContaining('batch[1].properties.site_id') });
    const array = await t.http().post('/e/').send([{ ...js('i6'), properties: { token: ingestSecret, distinct_id: 'x', site_id: 'blog' } }]);
    expect(array.status).toBe(403);
    expect(array.body.detail).toContain('[0].properties.site_id');
    expect(await rows()).toEqual([]);
  });

  it('stores a retried uuid once, with the id made from key, site and uuid', async () => {
    for (let i = 0; i < 3; i++) expect((await t.http().post('/batch/').send({ api_key: ingestSecret, batch: [event('dup-1')] })).status).toBe(200);
    expect(await t.db.query('SELECT id FROM events')).toEqual([{ id: posthogEventId(ingestKeyId, 'shop', 'dup-1') }]);
  });

  it('corrects the client clock by sent_at (request or event), else by offset', async () => {
    // The client's clock is 1 hour ahead: the event happened 10 s before it was sent.
    const ahead = Date.now() + 3_600_000;
    const batch = await t.http().post('/batch/').send({
      api_key: writeSecret,
      sent_at: new Date(ahead).toISOString(),
      batch: [event('c1', { timestamp: new Date(ahead - 10_000).toISOString() })],
    });
    expect(batch.status).toBe(200);
    const single = await t.http().post('/capture/').send({ api_key: writeSecret, ...event('c2', { timestamp: new Date(ahead - 20_000).toISOString(), sent_at: new Date(ahead).toISOString() }) });
    expect(single.status).toBe(200);
    const offset = await t.http().post('/e/').send([{ ...js('c3'), timestamp: undefined, offset: 30_000 }]);
    expect(offset.status).toBe(200);
    const times = (await rows()).map((r) => Math.round((Date.now() - new Date(r.occurred_at).getTime()) / 10_000) * 10);
    expect(times).toEqual([30, 20, 10]);
  });

  it('answers 400 naming the field of each bad event; the valid events of the request are stored', async () => {
    const answer = await t.http().post('/batch/').send({
      api_key: writeSecret,
      batch: [
        event('v1'),
        { event: 'x', uuid: 'v2' },
        event('v3', { event: 42 }),
        event('v4', { timestamp: 'yesterday' }),
        event('v5', { timestamp: '2999-01-01T00:00:00Z' }),
        event('v6', { properties: { blob: 'x'.repeat(17 * 1024) } }),
        event('v7', { properties: { note: 'a\u0000b' } }),
        'not an event',
      ],
    });
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('validation_error');
    expect(answer.body.attr).toBe('batch[1].distinct_id');
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'batch[1].distinct_id',
      'batch[2].event',
      'batch[3].timestamp',
      'batch[5].properties',
      'batch[6].properties.note',
      'batch[7]',
      'batch[4].timestamp',
    ]);
    expect((await rows()).map((r) => r.metadata.button)).toEqual(['buy']);
    const notJson = await t.http().post('/batch/').set('Content-Type', 'application/json').send('{"batch": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.type).toBe('validation_error');
    const notBatch = await t.http().post('/batch/').send({ api_key: writeSecret, batch: {} });
    expect(notBatch.status).toBe(400);
    expect(notBatch.body.errors).toEqual([{ path: 'batch', message: 'must be an array of events' }]);
    const empty = await t.http().post('/batch/').send({ api_key: writeSecret, batch: [] });
    expect(empty.status).toBe(400);
  });
});
