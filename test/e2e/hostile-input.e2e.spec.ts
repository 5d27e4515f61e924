import { connect } from 'node:net';
import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '../../src/http-app';
import { testConfig, useTestApp } from '../support/test-app';

/**
 * The hostile inputs of the outside trial (issue 12): each is a 4xx that names the field,
 * never a 500, and never stores anything bad — in a batch, the bad item alone is rejected.
 */
const t = useTestApp();

type Res = { status: number; headers: Record<string, string>; body: any };

function expectFieldError(res: Res, status: number, path: string, message: RegExp) {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
}

async function countEvents(): Promise<number> {
  const [row] = await t.db.query('SELECT count(*)::int AS n FROM events');
  return row.n;
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  t.http().post(path).set({ 'Content-Type': 'application/json', ...headers }).send(body);

const RANGE = /between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/;

describe('times PostgreSQL cannot store, and times outside the accepted range', () => {
  it.each([
    ['year 0', '0000-01-01T00:00:00Z', RANGE],
    ['year 1 whose offset lands in year 0', '0001-01-01T00:30:00+01:00', RANGE],
    ['before the epoch', '1969-12-31T23:59:59Z', RANGE],
    ['a leap second', '2016-12-31T23:59:60Z', /leap second/],
    ['a day that does not exist', '2025-02-30T10:00:00Z', /day that does not exist/],
  ])('refuses a timestamp of %s with a message that says so', async (_why, timestamp, message) => {
    const res = await post('/api/event', JSON.stringify({ user_id: 'a', action: 'x', timestamp }));
    expectFieldError(res, 400, 'timestamp', message);
    expect(await countEvents()).toBe(0);
  });

  it('refuses a sent_at correction that moves the event before 1970 or into the future', async () => {
    // sent_at 8,000 years after timestamp: received − 8,000 years is long before 1970.
    const back = await post('/api/event', JSON.stringify({ user_id: 'a', action: 'x', timestamp: '2025-01-01T00:00:00Z', sent_at: '9999-01-01T00:00:00Z' }));
    expectFieldError(back, 400, 'timestamp', /before 1970-01-01T00:00:00Z once corrected by sent_at/);
    // This one used to store an event in the year ~1026.
    const old = await post('/api/event', JSON.stringify({ user_id: 'a', action: 'x', timestamp: '2025-01-01T00:00:00Z', sent_at: '3025-01-01T00:00:00Z' }));
    expectFieldError(old, 400, 'timestamp', /before 1970-01-01T00:00:00Z once corrected by sent_at/);
    const ahead = await post('/api/event', JSON.stringify({ user_id: 'a', action: 'x', timestamp: '9999-01-01T00:00:00Z', sent_at: '1971-01-01T00:00:00Z' }));
    expectFieldError(ahead, 400, 'timestamp', /future once corrected by sent_at/);
    expect(await countEvents()).toBe(0);
  });

  it('rejects only the bad items of a batch and stores the rest', async () => {
    const res = await post(
      '/api/events/batch',
      JSON.stringify({
        events: [
          { user_id: 'a', action: 'ok-1', timestamp: '2025-01-01T00:00:00Z' },
          { user_id: 'a', action: 'x', timestamp: '0000-01-01T00:00:00Z' },
          { user_id: 'a', action: 'x', timestamp: '2025-01-01T00:00:00Z', sent_at: '3025-01-01T00:00:00Z' },
          { user_id: 'a', action: 'ok-2' },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, rejected: 2 });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'rejected', 'rejected', 'created']);
    expect(res.body.results[1].errors).toEqual([{ path: 'events[1].timestamp', message: expect.stringMatching(RANGE) }]);
    expect(res.body.results[2].errors).toEqual([{ path: 'events[2].timestamp', message: expect.stringMatching(/once corrected by sent_at/) }]);
    const stored = await t.db.query(`SELECT action FROM events ORDER BY action`);
    expect(stored.map((r: { action: string }) => r.action)).toEqual(['ok-1', 'ok-2']);
  });

  it.each([
    ['/api/events?from=0000-01-01T00:00:00Z', 'from'],
    ['/api/metrics?from=0000-01-01T00:00:00Z', 'from'],
    ['/api/metrics/windows?till=0001-01-01T00:30:00%2B01:00', 'till'],
    ['/api/analytics/overview?from=0000-01-01T00:00:00Z', 'from'],
    ['/api/analytics/active-users?interval=day&from=1969-12-31&to=1970-01-02', 'from'],
  ])('refuses %s naming %s', async (url, field) => {
    const res = await t.http().get(url);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: field, message: expect.stringMatching(/between 1970-01-01/) }]);
  });

  it('answers reads at the very end of the range (9999-12-31) instead of failing', async () => {
    await post('/api/event', JSON.stringify({ user_id: 'a', action: 'login', site_id: 's', timestamp: '2025-01-01T00:00:00Z' }));
    const answers = await Promise.all(
      [
        '/v1/user/uniques/daily?date=9999-12-31',
        '/v1/user/uniques/monthly?month=9999-12',
        '/stats?site_id=s&date=9999-12-31',
        '/api/analytics/active-users?interval=day&from=9999-12-30&to=9999-12-31&rolling=7',
        '/api/analytics/active-users?interval=month&from=9999-12-01&to=9999-12-31',
        '/api/analytics/overview?from=2024-01-01T00:00:00Z&till=9999-12-31T23:59:59.999Z',
        '/api/analytics/summary?from=2024-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z',
        '/api/events?till=9999-12-31T23:59:59.999Z',
        '/api/metrics?till=9999-12-31T23:59:59.999Z',
      ].map(async (url) => ({ url, status: (await t.http().get(url)).status })),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const overview = await t.http().get('/api/analytics/overview?from=2024-01-01T00:00:00Z&till=9999-12-31T23:59:59.999Z');
    expect(overview.body).toMatchObject({ total_events: 1, unique_users: 1 });
    const daily = await t.http().get('/v1/user/uniques/daily?date=9999-12-31');
    expect(daily.body).toEqual({ date: '9999-12-31', unique_users: 0 });
  });

  it('refuses year 0 on the compatibility routes in their own error format', async () => {
    const login = await post('/v1/user/login', JSON.stringify({ user_id: 'a', login_time: '0000-01-01T00:00:00Z' }));
    expect(login.status).toBe(400);
    expect(login.body).toEqual({ error: expect.stringMatching(/^login_time must be between 1970/) });
    const daily = await t.http().get('/v1/user/uniques/daily?date=0000-01-01');
    expect(daily.body).toEqual({ error: 'date must be between 1970-01-01 and 9999-12-31' });
    const event = await post('/event', JSON.stringify({ site_id: 's', event_type: 'page_view', timestamp: '0000-01-01T00:00:00Z' }));
    expect(event.status).toBe(422);
    expect(event.body.detail).toEqual([{ loc: ['body', 'timestamp'], msg: expect.stringMatching(RANGE), type: 'value_error' }]);
    expect(await countEvents()).toBe(0);
  });
});

describe('JSON that JSON.parse would silently change, or that would overflow the stack', () => {
  it('refuses metadata nested 5,000 levels deep (30 KB) with a 400 naming where', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const res = await post('/api/event', `{"user_id":"a","action":"x","metadata":${deep}}`);
    expectFieldError(res, 400, `metadata${'.a'.repeat(31)}`, /nests deeper than 32 levels/);
  });

  it('refuses an array nested 20,000 levels deep in a metrics range', async () => {
    const res = await post('/api/metrics', `{"from":${'['.repeat(20000)}${']'.repeat(20000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/nests deeper than 32 levels/);
  });

  it('accepts nesting up to the limit', async () => {
    const ok = '{"a":'.repeat(30) + '1' + '}'.repeat(30);
    const res = await post('/api/event', `{"user_id":"a","action":"x","metadata":${ok}}`);
    expect(res.status).toBe(201);
  });

  it.each([
    ['a duplicate top-level key', '{"user_id":"a","user_id":"b","action":"x"}', 'user_id', /more than once/],
    ['a duplicate key written with an escape', '{"user_id":"a","\\u0075ser_id":"b","action":"x"}', 'user_id', /more than once/],
    ['a duplicate nested key', '{"user_id":"a","action":"x","metadata":{"k":[{"q":1,"q":2}]}}', 'metadata.k[0].q', /more than once/],
    ['1e309', '{"user_id":"a","action":"x","metadata":{"n":1e309}}', 'metadata.n', /too large/],
    ['an integer beyond 2^53', '{"user_id":9007199254740993,"action":"x"}', 'user_id', /beyond ±2\^53/],
    ['a number that underflows to 0', '{"user_id":"a","action":"x","metadata":{"n":1e-400}}', 'metadata.n', /too small/],
    ['__proto__', '{"user_id":"a","action":"x","metadata":{"__proto__":{"admin":true}}}', 'metadata.__proto__', /reserved name/],
    ['constructor.prototype', '{"user_id":"a","action":"x","metadata":{"constructor":{"prototype":{}}}}', 'metadata.constructor.prototype', /reserved name/],
  ])('refuses %s with 400 naming the key', async (_why, body, path, message) => {
    const res = await post('/api/event', body);
    expectFieldError(res, 400, path, message);
    expect(await countEvents()).toBe(0);
  });

  it('keeps what JSON carries exactly: big but safe integers, decimals, a key named constructor', async () => {
    const res = await post('/api/event', '{"user_id":9007199254740991,"action":"x","metadata":{"d":0.1,"e":1.5e300,"constructor":"ok"}}');
    expect(res.status).toBe(201);
    const [row] = await t.db.query(`SELECT user_id, metadata FROM events`);
    expect(row).toEqual({ user_id: '9007199254740991', metadata: { d: 0.1, e: 1.5e300, constructor: 'ok' } });
  });

  it('says "must be a string" and "must be an array", not a length or size rule, for a value of the wrong type', async () => {
    expectFieldError(await post('/api/event', '{"user_id":"a","action":5}'), 400, 'action', /^must be a string$/);
    expectFieldError(await post('/api/events/batch', '{"events":{"0":{"user_id":"a","action":"x"}}}'), 400, 'events', /^must be an array/);
    expectFieldError(await post('/api/event', '{"user_id":"a","action":"x","site_id":7}'), 400, 'site_id', /^must be a string$/);
  });

  it('names login_time, the field the client sent, when a compat login is in the future', async () => {
    const res = await post('/v1/user/login', JSON.stringify({ user_id: 'a', login_time: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'login_time must not be more than 10 minutes in the future' });
  });
});

describe('POST /api/metrics with Content-Type: application/json and no body', () => {
  it('is {} (compute what is due), as HTTP clients such as HTTPie Desktop send it', async () => {
    const res = await t.http().post('/api/metrics').set('Content-Type', 'application/json').send('');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ windows: [] });
  });
});

describe('Content-Encoding', () => {
  const event = (action: string) => JSON.stringify({ user_id: 'a', action });
  // supertest would serialise a Buffer body as JSON; Fastify's inject sends the bytes as given.
  const sendBytes = async (encoding: string, payload: Buffer) => {
    const res = await t.app.getHttpAdapter().getInstance().inject({
      method: 'POST',
      url: '/api/event',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      payload,
    });
    return { status: res.statusCode, body: res.json() };
  };
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('decodes a %s body', async (encoding, compress) => {
    const res = await sendBytes(encoding, compress(Buffer.from(event(encoding))));
    expect(res.status).toBe(201);
    const [row] = await t.db.query(`SELECT action FROM events`);
    expect(row.action).toBe(encoding);
  });

  it('answers 415 for an encoding it cannot decode, never reading the body as plain', async () => {
    const res = await post('/api/event', event('x'), { 'Content-Encoding': 'compress' });
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/Content-Encoding "compress" is not supported/);
    expect(await countEvents()).toBe(0);
  });

  it('answers 400 when a plain body claims to be gzip', async () => {
    const res = await post('/api/event', event('x'), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not valid gzip data/);
    expect(await countEvents()).toBe(0);
  });

  it('applies the body limit to the decoded size (a small gzip bomb is a 413)', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ user_id: 'a', action: 'x', metadata: { pad: ' '.repeat(1024 * 1024) } })));
    expect(bomb.length).toBeLessThan(8 * 1024);
    const res = await sendBytes('gzip', bomb);
    expect(res.status).toBe(413);
  });

  it('answers a 1 GiB gzip bomb sent over a real connection with 413, and keeps serving', async () => {
    // Sixteen gzip members of 64 MiB of zeros: ~1 MB on the wire. The limit applies to the decoded
    // size, and the decoding stops there (src/shared/http/body-parsing.spec.ts counts what is read).
    const bomb = Buffer.concat(Array(16).fill(gzipSync(Buffer.alloc(64 * 1024 * 1024))));
    const res = await t.http().post('/api/events/batch').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((bytes) => bytes).send(bomb);
    expect(res.status).toBe(413);
    expect(await countEvents()).toBe(0);
    expect((await post('/api/event', event('after'))).status).toBe(201);
  });
});

describe('the same event_id with different content', () => {
  const original = { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10', user_id: 'a', action: 'buy', timestamp: '2025-01-01T00:00:00Z', metadata: { a: 1, b: [1, 2] } };

  it('is a duplicate whose content_matches tells the client, and the stored event stays as it was', async () => {
    expect((await post('/api/event', JSON.stringify(original))).status).toBe(201);
    const same = await post('/api/event', JSON.stringify({ ...original, metadata: { b: [1, 2], a: 1 } }));
    expect(same.body).toEqual({ id: original.event_id, status: 'duplicate', content_matches: true });
    const differs = await post('/api/event', JSON.stringify({ ...original, action: 'refund' }));
    expect(differs.status).toBe(200);
    expect(differs.body).toEqual({ id: original.event_id, status: 'duplicate', content_matches: false });
    const otherTime = await post('/api/event', JSON.stringify({ ...original, timestamp: '2025-01-01T00:00:01Z' }));
    expect(otherTime.body.content_matches).toBe(false);
    const [row] = await t.db.query(`SELECT action, occurred_at FROM events`);
    expect(row).toEqual({ action: 'buy', occurred_at: new Date('2025-01-01T00:00:00Z') });
  });

  it('does not count a time the server filled in or corrected: a plain retry matches', async () => {
    const noTime = { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a11', user_id: 'a', action: 'x' };
    await post('/api/event', JSON.stringify(noTime));
    expect((await post('/api/event', JSON.stringify(noTime))).body.content_matches).toBe(true);
  });

  it('reports it per item in a batch, also against an earlier item of the same batch', async () => {
    await post('/api/event', JSON.stringify(original));
    const res = await post(
      '/api/events/batch',
      JSON.stringify({
        events: [
          { ...original, action: 'changed' },
          { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a12', user_id: 'b', action: 'x' },
          { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a12', user_id: 'c', action: 'x' },
          original,
        ],
      }),
    );
    expect(res.body.results).toEqual([
      { index: 0, status: 'duplicate', id: original.event_id, content_matches: false },
      { index: 1, status: 'created', id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a12' },
      { index: 2, status: 'duplicate', id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a12', content_matches: false },
      { index: 3, status: 'duplicate', id: original.event_id, content_matches: true },
    ]);
  });
});

describe('errors of the compatibility routes, in each system’s own format', () => {
  it('seed 004 (FastAPI): broken JSON is 422 with detail[], a wrong media type {"detail": "…"}', async () => {
    const broken = await post('/event', '{"site_id":');
    expect(broken.status).toBe(422);
    expect(broken.body).toEqual({ detail: [{ loc: ['body'], msg: expect.stringMatching(/valid JSON/), type: 'json_invalid' }] });
    const duplicateKey = await post('/event', '{"site_id":"a","site_id":"b"}');
    expect(duplicateKey.body).toEqual({ detail: [{ loc: ['body', 'site_id'], msg: expect.stringMatching(/more than once/), type: 'value_error' }] });
    const text = await t.http().post('/event').set('Content-Type', 'application/xml').send('x');
    expect(text.status).toBe(415);
    expect(text.body).toEqual({ detail: expect.any(String) });
    const query = await t.http().get('/stats');
    expect(query.status).toBe(422);
    expect(query.body.detail).toEqual([{ loc: ['query', 'site_id'], msg: 'is required', type: 'value_error' }]);
  });

  it('seed 001 (JSend): {"status": "fail", …} for client errors', async () => {
    const broken = await post('/api/ingestion/event', '{');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ status: 'fail', errors: [{ path: 'body', message: expect.stringMatching(/^body must be valid JSON/) }] });
    const missing = await post('/api/ingestion/event', '{}');
    expect(missing.body.errors).toEqual(expect.arrayContaining([{ path: 'body.site_id', message: 'site_id is required' }]));
    const tooLarge = await post('/api/ingestion/event', JSON.stringify({ site_id: 'x'.repeat(70 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toEqual({ status: 'fail', message: expect.any(String) });
  });

  it('seeds 000 and 002: {"error": "…"}', async () => {
    const login = await post('/v1/user/login', '[1,');
    expect(login.status).toBe(400);
    expect(login.body).toEqual({ error: expect.stringMatching(/^body must be valid JSON/) });
    const summary = await t.http().get('/api/analytics/summary?from=yesterday');
    expect(summary.status).toBe(400);
    expect(summary.body).toEqual({ error: expect.stringMatching(/^from must be an ISO-8601 date-time.*; to is required$/) });
  });
});

describe('connection-level errors', () => {
  let app: NestFastifyApplication;
  let port: number;
  beforeAll(async () => {
    app = await createHttpApp(testConfig(), { requestTimeoutMs: 1500 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
  });

  /** Sends raw bytes; resolves with what the server answered and when it closed. */
  function raw(data: string, keepOpenMs = 0): Promise<{ text: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect(port, '127.0.0.1', () => socket.write(data));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve({ text, ms: Date.now() - started }));
      socket.on('error', reject);
      if (keepOpenMs) setTimeout(() => socket.destroy(), keepOpenMs);
    });
  }

  it('cuts a body that arrives too slowly with a 408 problem, on time', async () => {
    const { text, ms } = await raw('POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user_id":', 10_000);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toMatch(/Content-Type: application\/problem\+json/);
    expect(JSON.parse(text.split('\r\n\r\n')[1])).toMatchObject({ status: 408, title: 'Request Timeout' });
    expect(ms).toBeLessThan(1500 + 2500); // the timeout plus Node's 1 s check interval, with slack
  });

  it('answers a request without a Host header with a 400 problem', async () => {
    const { text } = await raw('GET /health/live HTTP/1.1\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.split('\r\n\r\n')[1])).toMatchObject({ status: 400, type: 'urn:tracking-service:problem:missing-host' });
  });
});
