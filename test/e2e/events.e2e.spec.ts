import { useTestApp } from '../support/test-app';

/** The events section of API.md, exercised through HTTP against a real PostgreSQL. */
const t = useTestApp();

const EXAMPLE = {
  event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10',
  user_id: 321,
  action: 'test_action',
  timestamp: '2025-10-23T13:07:00Z',
  sent_at: '2025-10-23T13:07:02Z',
  metadata: { page: '/hello/world' },
  site_id: 'site-abc-123',
  path: '/pricing',
};

/** A fingerprint of the whole events table, to prove a rejected request changed nothing. */
async function snapshot(): Promise<string> {
  const [row] = await t.db.query(
    `SELECT count(*)::int AS n, coalesce(md5(string_agg(e::text, '|' ORDER BY id)), '') AS digest FROM events e`,
  );
  return `${row.n}:${row.digest}`;
}

async function countEvents(): Promise<number> {
  const [row] = await t.db.query('SELECT count(*)::int AS n FROM events');
  return row.n;
}

function expectProblem(res: { status: number; headers: Record<string, string>; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/at \w+ \(|QueryFailedError|SELECT |INSERT |node_modules|TypeORM/);
}

describe('POST /api/event', () => {
  it('stores the API.md example, answers 201 with Location only once it is readable', async () => {
    const before = Date.now();
    const res = await t.http().post('/api/event').send(EXAMPLE);
    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: EXAMPLE.event_id, status: 'created' });
    expect(res.headers.location).toBe(`/api/events/${EXAMPLE.event_id}`);

    // Read back through a separate connection: acknowledged means committed.
    const [row] = await t.db.query('SELECT user_id, occurred_at, received_at FROM events WHERE id = $1', [EXAMPLE.event_id]);
    expect(row.user_id).toBe('321');
    const got = await t.http().get(res.headers.location);
    expect(got.status).toBe(200);
    const received = Date.parse(got.body.received_at);
    expect(received).toBeGreaterThanOrEqual(before - 5);
    expect(received).toBeLessThanOrEqual(after + 5);
    expect(got.body).toEqual({
      id: EXAMPLE.event_id,
      user_id: '321',
      action: 'test_action',
      // sent_at correction: received_at − (sent_at − timestamp) = received_at − 2 s
      timestamp: new Date(received - 2000).toISOString(),
      received_at: got.body.received_at,
      metadata: { page: '/hello/world' },
      site_id: 'site-abc-123',
      path: '/pricing',
    });
  });

  it('keeps the client timestamp when no sent_at is given, and defaults it to receipt time', async () => {
    const withTime = await t.http().post('/api/event').send({ user_id: 'u1', action: 'a', timestamp: '2025-10-23T15:07:00.5+02:00' });
    expect(withTime.status).toBe(201);
    const a = await t.http().get(`/api/events/${withTime.body.id}`);
    expect(a.body.timestamp).toBe('2025-10-23T13:07:00.500Z');
    expect(a.body).toMatchObject({ metadata: {}, site_id: null, path: null });

    const bare = await t.http().post('/api/event').send({ user_id: 'u1', action: 'a' });
    const b = await t.http().get(`/api/events/${bare.body.id}`);
    expect(b.body.timestamp).toBe(b.body.received_at);
    expect(bare.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers a resend of the same event_id 200 duplicate and changes nothing', async () => {
    await t.http().post('/api/event').send(EXAMPLE).expect(201);
    const before = await snapshot();
    const again = await t.http().post('/api/event').send({ ...EXAMPLE, action: 'changed', user_id: 'someone-else' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: EXAMPLE.event_id, status: 'duplicate', content_matches: false });
    expect(again.headers.location).toBeUndefined();
    expect(await snapshot()).toBe(before);
  });

  it('stores an event_id sent by many concurrent requests exactly once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => t.http().post('/api/event').send({ ...EXAMPLE, timestamp: undefined, sent_at: undefined })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200 && r.body.status === 'duplicate')).toHaveLength(11);
    expect(await countEvents()).toBe(1);
  });

  const tooLong = (n: number) => 'x'.repeat(n);
  const invalid: Array<[string, string, Record<string, unknown>]> = [
    ['user_id missing', 'user_id', { action: 'a' }],
    ['user_id null', 'user_id', { user_id: null, action: 'a' }],
    ['user_id boolean', 'user_id', { user_id: true, action: 'a' }],
    ['user_id fractional', 'user_id', { user_id: 1.5, action: 'a' }],
    ['user_id beyond safe integers', 'user_id', { user_id: 2 ** 60, action: 'a' }],
    ['user_id object', 'user_id', { user_id: { id: 1 }, action: 'a' }],
    ['user_id empty', 'user_id', { user_id: '', action: 'a' }],
    ['user_id 129 characters', 'user_id', { user_id: tooLong(129), action: 'a' }],
    ['action missing', 'action', { user_id: 1 }],
    ['action number', 'action', { user_id: 1, action: 5 }],
    ['action empty', 'action', { user_id: 1, action: '' }],
    ['action 101 characters', 'action', { user_id: 1, action: tooLong(101) }],
    ['action with NUL', 'action', { user_id: 1, action: 'a\u0000b' }],
    ['event_id not a UUID', 'event_id', { user_id: 1, action: 'a', event_id: '1234' }],
    ['event_id number', 'event_id', { user_id: 1, action: 'a', event_id: 5 }],
    ['timestamp without zone', 'timestamp', { user_id: 1, action: 'a', timestamp: '2025-10-23T13:07:00' }],
    ['timestamp impossible date', 'timestamp', { user_id: 1, action: 'a', timestamp: '2025-10-257T22:07:00Z' }],
    ['timestamp 30 February', 'timestamp', { user_id: 1, action: 'a', timestamp: '2025-02-30T10:00:00Z' }],
    ['timestamp as epoch number', 'timestamp', { user_id: 1, action: 'a', timestamp: 1761224820000 }],
    ['timestamp in the future', 'timestamp', { user_id: 1, action: 'a', timestamp: new Date(Date.now() + 11 * 60_000).toISOString() }],
    ['sent_at without zone', 'sent_at', { user_id: 1, action: 'a', timestamp: '2025-10-23T13:07:00Z', sent_at: '2025-10-23T13:07:02' }],
    ['metadata array', 'metadata', { user_id: 1, action: 'a', metadata: [1, 2] }],
    ['metadata string', 'metadata', { user_id: 1, action: 'a', metadata: 'page=/x' }],
    ['metadata over 16 KiB', 'metadata', { user_id: 1, action: 'a', metadata: { blob: tooLong(16 * 1024) } }],
    ['metadata with a lone surrogate', 'metadata.bad', { user_id: 1, action: 'a', metadata: { bad: '\ud800' } }],
    ['metadata with NUL', 'metadata.nested.v', { user_id: 1, action: 'a', metadata: { nested: { v: 'x\u0000' } } }],
    ['site_id number', 'site_id', { user_id: 1, action: 'a', site_id: 7 }],
    ['site_id 129 characters', 'site_id', { user_id: 1, action: 'a', site_id: tooLong(129) }],
    ['path 2049 characters', 'path', { user_id: 1, action: 'a', path: '/' + tooLong(2048) }],
    ['unknown field (typo)', 'userId', { userId: 1, user_id: 1, action: 'a' }],
    ['a field named like an inherited property', 'constructor', { constructor: 'x', user_id: 1, action: 'a' }],
    ['a field named toString', 'toString', { toString: 1, user_id: 1, action: 'a' }],
  ];

  it.each(invalid)('rejects %s with 400 naming %s, storing nothing', async (_why, path, body) => {
    await t.http().post('/api/event').send({ user_id: 'keep', action: 'existing' }).expect(201);
    const before = await snapshot();
    const res = await t.http().post('/api/event').send(body);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
    expect(await snapshot()).toBe(before);
  });

  it('accepts the edges of every rule', async () => {
    const res = await t.http().post('/api/event').send({
      user_id: 'u'.repeat(128),
      action: 'a'.repeat(100),
      site_id: 's'.repeat(128),
      path: 'p'.repeat(2048),
      metadata: { blob: 'x'.repeat(16 * 1024 - 20) },
      timestamp: new Date(Date.now() + 9 * 60_000).toISOString(),
    });
    expect(res.status).toBe(201);
    expect((await t.http().post('/api/event').send({ user_id: -42, action: 'a' })).status).toBe(201);
    expect((await t.http().post('/api/event').send({ user_id: 0, action: 'a' })).status).toBe(201);
  });

  it('lists every invalid field, not just the first', async () => {
    const res = await t.http().post('/api/event').send({ userId: 5, action: '', timestamp: '2025-10-23T13:07:00', metadata: [] });
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['action', 'metadata', 'timestamp', 'userId', 'user_id']);
    expect(res.body.errors.find((e: { path: string }) => e.path === 'timestamp').message).toMatch(/time zone/);
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"event"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('rejects a body that is %s', async (_why, raw) => {
    const res = await t.http().post('/api/event').set('Content-Type', 'application/json').send(raw);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ path: 'body', message: 'must be a JSON object' }]);
  });

  it('rejects broken JSON and an empty JSON body with 400', async () => {
    const broken = await t.http().post('/api/event').set('Content-Type', 'application/json').send('{"user_id": 1,');
    expectProblem(broken, 400);
    expect(broken.body.errors).toEqual([{ path: 'body', message: expect.stringMatching(/^must be valid JSON \(.+\)$/) }]);
    // An empty body is no body: the required fields are named.
    const empty = await t.http().post('/api/event').set('Content-Type', 'application/json').send('');
    expectProblem(empty, 400);
    expect(empty.body.errors).toEqual([
      { path: 'user_id', message: 'is required' },
      { path: 'action', message: 'is required' },
    ]);
  });

  it('answers 415 for a body that is not JSON (text/plain is read as JSON, so a form in it is a 400)', async () => {
    const xml = await t.http().post('/api/event').set('Content-Type', 'application/xml').send('<event/>');
    expectProblem(xml, 415);
    const text = await t.http().post('/api/event').set('Content-Type', 'text/plain').send('user_id=1&action=a');
    expectProblem(text, 400);
    const form = await t.http().post('/api/event').type('form').send({ user_id: '1', action: 'a' });
    expectProblem(form, 415);
    expect(await countEvents()).toBe(0);
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const res = await t.http().post('/api/event').send({ user_id: 1, action: 'a', metadata: { blob: 'x'.repeat(70 * 1024) } });
    expectProblem(res, 413);
    expect(await countEvents()).toBe(0);
  });
});

describe('POST /api/event/validate', () => {
  it('applies every rule of POST /api/event and stores nothing', async () => {
    const ok = await t.http().post('/api/event/validate').send(EXAMPLE);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'valid' });
    const future = await t.http().post('/api/event/validate').send({ user_id: 1, action: 'a', timestamp: new Date(Date.now() + 3_600_000).toISOString() });
    expectProblem(future, 400);
    expect(future.body.errors).toEqual([{ path: 'timestamp', message: expect.stringContaining('future') }]);
    const shape = await t.http().post('/api/event/validate').send({ userId: 1 });
    expect(shape.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['action', 'userId', 'user_id']);
    expect(await countEvents()).toBe(0);
  });
});

describe('POST /api/events/batch', () => {
  it('reports per item in input order and stores the valid ones', async () => {
    const existing = '11111111-1111-4111-8111-111111111111';
    await t.http().post('/api/event').send({ event_id: existing, user_id: 1, action: 'a' }).expect(201);
    const res = await t.http()
      .post('/api/events/batch')
      .send({
        events: [
          { user_id: 1, action: 'signup', timestamp: '2025-10-23T10:00:00Z' },
          { event_id: existing, user_id: 1, action: 'a' },
          { user_id: 2 },
          { user_id: 3, action: 'login', timestamp: '2025-10-23T11:00:00Z' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      created: 2,
      duplicates: 1,
      rejected: 1,
      results: [
        { index: 0, status: 'created', id: expect.any(String) },
        { index: 1, status: 'duplicate', id: existing, content_matches: true },
        { index: 2, status: 'rejected', errors: [{ path: 'events[2].action', message: expect.any(String) }] },
        { index: 3, status: 'created', id: expect.any(String) },
      ],
    });
    expect(await countEvents()).toBe(3);
    const stored = await t.http().get(`/api/events/${res.body.results[3].id}`);
    expect(stored.body).toMatchObject({ user_id: '3', action: 'login', timestamp: '2025-10-23T11:00:00.000Z' });
  });

  it('names the bad fields of each rejected item with its index, including domain rules', async () => {
    const res = await t.http()
      .post('/api/events/batch')
      .send({
        events: [
          'not an object',
          { user_id: 1, action: 'a', userId: 1, timestamp: '2025-10-23T13:07:00' },
          { user_id: 1, action: 'a', timestamp: new Date(Date.now() + 3_600_000).toISOString() },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toBe(3);
    expect(res.body.results[0].errors).toEqual([{ path: 'events[0]', message: 'must be a JSON object' }]);
    expect(res.body.results[1].errors.map((e: { path: string }) => e.path).sort()).toEqual(['events[1].timestamp', 'events[1].userId']);
    expect(res.body.results[2].errors).toEqual([{ path: 'events[2].timestamp', message: expect.stringContaining('future') }]);
    expect(await countEvents()).toBe(0);
  });

  it('stores an event_id repeated inside one batch once: created, then duplicate', async () => {
    const id = '22222222-2222-4222-8222-222222222222';
    const res = await t.http()
      .post('/api/events/batch')
      .send({ events: [{ event_id: id, user_id: 1, action: 'first' }, { event_id: id, user_id: 2, action: 'second' }] });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'duplicate']);
    expect(await countEvents()).toBe(1);
    expect((await t.http().get(`/api/events/${id}`)).body.action).toBe('first');
  });

  it('applies a batch-level sent_at to events without their own', async () => {
    const res = await t.http()
      .post('/api/events/batch')
      .send({
        sent_at: '2020-01-01T00:10:00Z',
        events: [
          { user_id: 1, action: 'a', timestamp: '2020-01-01T00:09:00Z' },
          { user_id: 1, action: 'b', timestamp: '2020-01-01T00:09:00Z', sent_at: '2020-01-01T00:09:30Z' },
        ],
      });
    const [a, b] = await Promise.all(res.body.results.map((r: { id: string }) => t.http().get(`/api/events/${r.id}`)));
    const received = Date.parse(a.body.received_at);
    expect(Date.parse(a.body.timestamp)).toBe(received - 60_000);
    expect(Date.parse(b.body.timestamp)).toBe(received - 30_000);
  });

  it.each([
    ['not an object', []],
    ['no events', {}],
    ['events not an array', { events: { user_id: 1, action: 'a' } }],
    ['an empty array', { events: [] }],
    ['1001 events', { events: Array.from({ length: 1001 }, () => ({ user_id: 1, action: 'a' })) }],
    ['an unknown envelope field', { events: [{ user_id: 1, action: 'a' }], source: 'x' }],
    ['a bad batch sent_at', { events: [{ user_id: 1, action: 'a' }], sent_at: 'yesterday' }],
  ])('rejects a batch that is %s with 400 and stores nothing', async (_why, body) => {
    const res = await t.http().post('/api/events/batch').send(body as object);
    expectProblem(res, 400);
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await countEvents()).toBe(0);
  });

  it('accepts 1000 events in a body far above the single-event limit', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ user_id: i % 50, action: `a${i % 7}`, metadata: { pad: 'x'.repeat(1000) } }));
    const res = await t.http().post('/api/events/batch').send({ events });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(1000);
    expect(await countEvents()).toBe(1000);
  });

  it('answers 413 for a body over 5 MiB', async () => {
    const events = Array.from({ length: 900 }, () => ({ user_id: 1, action: 'a', metadata: { pad: 'x'.repeat(6000) } }));
    const res = await t.http().post('/api/events/batch').send({ events });
    expectProblem(res, 413);
    expect(await countEvents()).toBe(0);
  });
});

describe('GET /api/events/{id}', () => {
  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const missing = await t.http().get('/api/events/0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10');
    expectProblem(missing, 404);
    const malformed = await t.http().get('/api/events/not-a-uuid');
    expectProblem(malformed, 400);
    expect(malformed.body.errors).toEqual([{ path: 'id', message: 'must be a UUID' }]);
  });

  it('finds an event by its id in any letter case', async () => {
    await t.http().post('/api/event').send(EXAMPLE).expect(201);
    const res = await t.http().get(`/api/events/${EXAMPLE.event_id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(EXAMPLE.event_id);
  });
});

describe('GET /api/events', () => {
  async function seed() {
    const events = [];
    for (let i = 0; i < 10; i++) {
      events.push({
        user_id: i % 2 === 0 ? 'even' : 'odd',
        action: i % 3 === 0 ? 'login' : 'click',
        site_id: i < 5 ? 'site-a' : 'site-b',
        // Pairs share a timestamp so the id tie-break is exercised.
        timestamp: new Date(Date.UTC(2025, 9, 23, 12, Math.floor(i / 2))).toISOString(),
      });
    }
    const res = await t.http().post('/api/events/batch').send({ events });
    return res.body.results.map((r: { id: string }) => r.id) as string[];
  }

  it('lists newest first by default, with the documented shape', async () => {
    await seed();
    const res = await t.http().get('/api/events');
    expect(res.status).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.data).toHaveLength(10);
    const keys = res.body.data.map((e: { timestamp: string; id: string }) => `${e.timestamp}|${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(Object.keys(res.body.data[0]).sort()).toEqual(
      ['action', 'id', 'metadata', 'path', 'received_at', 'site_id', 'timestamp', 'user_id'].sort(),
    );
  });

  it('filters by user_id, action, site_id and a from-inclusive, till-exclusive range', async () => {
    await seed();
    const get = async (query: string) => (await t.http().get(`/api/events?${query}&order=asc`)).body.data;
    expect((await get('user_id=even')).every((e: { user_id: string }) => e.user_id === 'even')).toBe(true);
    expect(await get('user_id=even')).toHaveLength(5);
    expect(await get('action=login')).toHaveLength(4);
    expect(await get('site_id=site-b&action=click')).toHaveLength(3);
    const ranged = await get('from=2025-10-23T12:01:00Z&till=2025-10-23T12:03:00Z');
    expect(ranged.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      '2025-10-23T12:01:00.000Z',
      '2025-10-23T12:01:00.000Z',
      '2025-10-23T12:02:00.000Z',
      '2025-10-23T12:02:00.000Z',
    ]);
    expect(await get('user_id=nobody')).toEqual([]);
  });

  it.each(['asc', 'desc'])('pages (%s) without gaps or repeats while new events arrive', async (order) => {
    const original = await seed();
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const query: string = `order=${order}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.http().get(`/api/events?${query}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.next_cursor;
      // Meanwhile: one event before everything and one after everything arrive.
      await t.http().post('/api/event').send({ user_id: 'x', action: 'late', timestamp: `2025-10-2${round % 2 === 0 ? 2 : 4}T00:00:0${round}Z` });
      round++;
    } while (cursor && round < 20);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of original) expect(seen).toContain(id);
  });

  it.each([
    ['limit 0', 'limit=0', 'limit'],
    ['limit 1001', 'limit=1001', 'limit'],
    ['limit not a number', 'limit=ten', 'limit'],
    ['limit fractional', 'limit=1.5', 'limit'],
    ['order sideways', 'order=up', 'order'],
    ['from without zone', 'from=2025-10-23T12:00:00', 'from'],
    ['till impossible', 'till=2025-10-257T22:07:00Z', 'till'],
    ['till not after from', 'from=2025-10-23T12:00:00Z&till=2025-10-23T12:00:00Z', 'till'],
    ['a forged cursor', 'cursor=abc', 'cursor'],
    ['a cursor that is valid base64 of junk', `cursor=${Buffer.from('{"t":1}').toString('base64url')}`, 'cursor'],
    ['an unknown parameter', 'userId=1', 'userId'],
    ['a repeated parameter', 'user_id=a&user_id=b', 'user_id'],
    ['a constructor parameter', 'constructor=x', 'constructor'],
  ])('rejects %s with 400 naming the parameter', async (_why, query, path) => {
    const res = await t.http().get(`/api/events?${query}`);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
  });

  it('refuses a cursor issued for the other order', async () => {
    await seed();
    const first = await t.http().get('/api/events?limit=2&order=desc');
    const res = await t.http().get(`/api/events?limit=2&order=asc&cursor=${first.body.next_cursor}`);
    expectProblem(res, 400);
  });
});
