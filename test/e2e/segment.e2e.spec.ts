import { CommandBus } from '@nestjs/cqrs';
import { Analytics } from '@segment/analytics-node';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { segmentEventId } from '../../src/segment/application/segment-messages';
import { FlakyProxy } from '../support/flaky-proxy';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Segment's HTTP Tracking API, driven by the real @segment/analytics-node SDK through a tiny
 * HTTP proxy that fails the first attempt (500), so the SDK's retry is exercised; and by hand
 * for auth, limits, validation and duplicates.
 */
jest.setTimeout(90_000);

let t: TestApp;
let writeSecret: string;
let ingestSecret: string;
let ingestKeyId: string;
let readSecret: string;
let proxy: FlakyProxy<{ retry: string | undefined; authorization: string | undefined }>;
let openAnswer: { status: number; body: unknown };
let openRows: unknown[];

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function rows() {
  return t.db.query(`SELECT user_id, action, occurred_at, site_id, path, metadata FROM events ORDER BY occurred_at, action`);
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  // While no key exists the service runs open: any write key (the SDK always sends one) is accepted.
  openAnswer = await t.http().post('/v1/track').set('Authorization', basic('any-write-key')).send({ userId: 'open-user', event: 'Opened', messageId: 'open-1' });
  openRows = await t.db.query('SELECT id, user_id, action FROM events');
  await t.db.query('TRUNCATE events, event_ids');
  const bus = t.app.get(CommandBus);
  writeSecret = (await bus.execute(new CreateApiKeyCommand('segment writer', 'write'))).secret;
  readSecret = (await bus.execute(new CreateApiKeyCommand('reader', 'read'))).secret;
  const ingest = await bus.execute(new CreateApiKeyCommand('segment source', 'ingest', { siteId: 'shop', origins: [] }));
  ingestSecret = ingest.secret;
  ingestKeyId = ingest.key.id;
  await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200)); // the open mode's cached answer ends
  proxy = await new FlakyProxy(t, { status: 500, contentType: 'application/json', body: '{"success":false,"message":"injected"}', when: 'after-storing' }, (req) => ({ retry: req.headers['x-retry-count'] as string | undefined, authorization: req.headers.authorization })).start();
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

describe('the real analytics-node SDK', () => {
  it('sends every message type; the first attempt fails, the retry stores each event exactly once with user, action, time, site, path and metadata', async () => {
    const analytics = new Analytics({ writeKey: ingestSecret, host: proxy.url, path: '/v1/batch', flushAt: 100, flushInterval: 60_000, maxRetries: 3 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000);
    analytics.track({ userId: 'user-42', event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' }, context: { page: { path: '/checkout' } }, timestamp: at(1) });
    analytics.identify({ userId: 'user-42', traits: { plan: 'pro' }, timestamp: at(2) });
    analytics.page({ anonymousId: 'anon-7', name: 'Pricing', properties: { path: '/pricing', title: 'Pricing' }, timestamp: at(3) });
    analytics.screen({ userId: 'user-42', name: 'Home', properties: { tab: 'feed' }, timestamp: at(4) });
    analytics.group({ userId: 'user-42', groupId: 'acme', traits: { employees: 50 }, timestamp: at(5) });
    analytics.alias({ userId: 'user-42', previousId: 'anon-7', timestamp: at(6) });
    proxy.failNext = 1;
    await analytics.closeAndFlush({ timeout: 30_000 });
    expect(errors).toEqual([]);
    // The SDK posted to /v1/batch with Basic auth, failed once (500), retried and got 200.
    expect(proxy.attempts.map((a) => [a.path, a.status, a.retry])).toEqual([
      ['/v1/batch', 500, undefined],
      ['/v1/batch', 200, '1'],
    ]);
    expect(proxy.attempts[0].authorization).toBe(basic(ingestSecret));
    const stored = await rows();
    expect(stored).toHaveLength(6);
    const near = (d: Date, s: number) => Math.abs(new Date(d).getTime() - at(s).getTime()) < 30_000;
    expect(stored.map((r: { user_id: string; action: string; site_id: string; path: string | null; metadata: unknown }) => [r.user_id, r.action, r.site_id, r.path, r.metadata])).toEqual([
      ['user-42', 'Order Completed', 'shop', '/checkout', { revenue: 42.5, currency: 'EUR' }],
      ['user-42', 'identify', 'shop', null, { plan: 'pro' }],
      ['anon-7', 'page_view', 'shop', '/pricing', { name: 'Pricing', path: '/pricing', title: 'Pricing' }],
      ['user-42', 'screen_view', 'shop', null, { name: 'Home', tab: 'feed' }],
      ['user-42', 'group', 'shop', null, { employees: 50, groupId: 'acme' }],
      ['user-42', 'alias', 'shop', null, { previousId: 'anon-7' }],
    ]);
    stored.forEach((r: { occurred_at: Date }, i: number) => expect(near(r.occurred_at, i + 1)).toBe(true));
  });
});

describe('POST /v1/* by hand', () => {
  it('accepts any write key while the service runs open (no key exists), deduplicating by messageId without a key', () => {
    expect(openAnswer.status).toBe(200);
    expect(openAnswer.body).toEqual({ success: true });
    expect(openRows).toEqual([{ id: segmentEventId(null, null, 'open-1'), user_id: 'open-user', action: 'Opened' }]);
  });

  const track = { userId: 'u1', event: 'Signed Up', messageId: 'm-1', timestamp: '2025-10-23T13:07:00Z', properties: { plan: 'pro' } };

  it('authenticates with Basic (key as user name), with writeKey in the body, and refuses a missing or unknown key with 401 in Segment’s shape', async () => {
    expect((await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).send(track)).body).toEqual({ success: true });
    expect((await t.http().post('/v1/track').send({ ...track, messageId: 'm-2', writeKey: writeSecret })).status).toBe(200);
    const missing = await t.http().post('/v1/track').send({ ...track, messageId: 'm-3' });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ success: false, message: expect.any(String) });
    expect(missing.headers['www-authenticate']).toBe('Basic realm="Segment write key", Bearer');
    const unknown = await t.http().post('/v1/track').set('Authorization', basic('tsk_wrong')).send({ ...track, messageId: 'm-4' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.success).toBe(false);
    const reader = await t.http().post('/v1/track').send({ ...track, messageId: 'm-5', writeKey: readSecret });
    expect(reader.status).toBe(403);
    expect((await rows()).map((r: { user_id: string }) => r.user_id)).toEqual(['u1', 'u1']);
  });

  it('corrects the client clock by sentAt (batch or message), as the native sent_at does', async () => {
    // The client's clock is 1 hour ahead: the event happened 10 s before it was sent.
    const ahead = Date.now() + 3_600_000;
    const res = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({
      sentAt: new Date(ahead).toISOString(),
      batch: [{ type: 'track', userId: 'u1', event: 'Clocked', messageId: 'c1', timestamp: new Date(ahead - 10_000).toISOString() }],
    });
    expect(res.status).toBe(200);
    const [row] = await rows();
    expect(Math.abs(new Date(row.occurred_at).getTime() - (Date.now() - 10_000))).toBeLessThan(60_000);
  });

  it('applies the batch context to every message (a message’s own wins): the site and path of a secret key’s batch', async () => {
    const res = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({
      context: { site_id: 'blog', page: { path: '/shared' } },
      batch: [
        { type: 'track', ...track },
        { type: 'track', ...track, messageId: 'm-own', context: { site_id: 'docs', page: { path: '/own' } } },
      ],
    });
    expect(res.status).toBe(200);
    const stored = await t.db.query('SELECT site_id, path FROM events ORDER BY site_id');
    expect(stored).toEqual([{ site_id: 'blog', path: '/shared' }, { site_id: 'docs', path: '/own' }]);
  });

  it('stores a retried messageId once (duplicate), with the id made from key, site and messageId', async () => {
    for (let i = 0; i < 3; i++) expect((await t.http().post('/v1/track').set('Authorization', basic(ingestSecret)).send(track)).status).toBe(200);
    const ids = await t.db.query('SELECT id FROM events');
    expect(ids).toEqual([{ id: segmentEventId(ingestKeyId, 'shop', 'm-1') }]);
  });

  it('an ingest key binds the site: another site in context.site_id is refused (403), nothing stored', async () => {
    const res = await t.http().post('/v1/batch').set('Authorization', basic(ingestSecret)).send({ batch: [{ type: 'track', ...track }, { type: 'track', ...track, messageId: 'x', context: { site_id: 'blog' } }] });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ success: false, message: expect.stringContaining('batch[1].context.site_id') });
    const shared = await t.http().post('/v1/batch').set('Authorization', basic(ingestSecret)).send({ context: { site_id: 'blog' }, batch: [{ type: 'track', ...track }] });
    expect(shared.status).toBe(403);
    expect(shared.body.message).toContain('context.site_id');
    expect(await rows()).toEqual([]);
  });

  it('answers 400 naming the field of each bad message; in a batch the valid messages are stored', async () => {
    const single = await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).send({ userId: 'u1', messageId: 'z' });
    expect(single.status).toBe(400);
    expect(single.body).toEqual({ success: false, message: 'event: is required for a track', errors: [{ path: 'event', message: 'is required for a track' }] });
    const batch = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({
      batch: [
        { type: 'track', ...track },
        { type: 'page', messageId: 'p' },
        { type: 'bogus', userId: 'u1' },
        { type: 'identify', userId: 'u1', timestamp: 'yesterday' },
        { type: 'track', ...track, messageId: 'future', timestamp: '2999-01-01T00:00:00Z' },
      ],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.errors.map((e: { path: string }) => e.path)).toEqual(['batch[1].userId', 'batch[2].type', 'batch[3].timestamp', 'batch[4].timestamp']);
    expect((await rows()).map((r: { action: string }) => r.action)).toEqual(['Signed Up']);
    const unstorable = await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).send({ ...track, messageId: 'nul', properties: { note: 'a\u0000b' } });
    expect(unstorable.status).toBe(400);
    expect(unstorable.body.errors).toEqual([{ path: 'properties.note', message: 'must not contain NUL (\\u0000) characters' }]);
    const notBatch = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({ events: [] });
    expect(notBatch.status).toBe(400);
    expect(notBatch.body.errors).toEqual([{ path: 'batch', message: 'is required: an array of messages' }]);
    const broken = await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).set('Content-Type', 'application/json').send('{"userId":');
    expect(broken.status).toBe(400);
    expect(broken.body.success).toBe(false);
  });

  it('enforces Segment’s limits with 400: 32 KB per call, 32 KB per message of a batch, 500 KB per batch', async () => {
    const big = (n: number) => ({ ...track, properties: { blob: 'x'.repeat(n) } });
    const call = await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).send(big(33 * 1024));
    expect(call.status).toBe(400);
    expect(call.body).toEqual({ success: false, message: expect.stringContaining('32 KB') });
    const message = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({ batch: [{ type: 'track', ...big(33 * 1024) }] });
    expect(message.status).toBe(400);
    expect(message.body.errors[0].path).toBe('batch[0]');
    const batch = await t.http().post('/v1/batch').set('Authorization', basic(writeSecret)).send({
      batch: Array.from({ length: 40 }, (_, i) => ({ type: 'track', ...big(14 * 1024), messageId: `b${i}` })),
    });
    expect(batch.status).toBe(400);
    expect(batch.body.message).toContain('500 KB');
    expect(await rows()).toEqual([]);
    // Metadata is kept up to our own 16 KiB: a 20 KB message with 17 KiB of properties is refused, naming properties.
    const meta = await t.http().post('/v1/track').set('Authorization', basic(writeSecret)).send(big(17 * 1024));
    expect(meta.status).toBe(400);
    expect(meta.body.errors[0].path).toBe('properties');
  });
});
