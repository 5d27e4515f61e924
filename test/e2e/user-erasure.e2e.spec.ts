import { createHmac } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import { Client } from 'pg';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { spawnNode, waitFor } from '../support/process';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * DELETE /api/users/{user_id} and `npm run users -- erase`: after erasing user A, every figure
 * the API serves equals what it is in a database that never saw A (the same requests, in the
 * same order, without A's events), and A's id is in no column of any table.
 */
jest.setTimeout(120_000);

const HASH_KEY = 'test-erasure-key-0123456789abcdef0123456789';
const A = 'erase-me-7f3a@example.com';

interface Sent { user_id: string; action: string; timestamp: string; site_id?: string; path?: string }

let next = 0;
const ev = (user_id: string, timestamp: string, action: string, site_id?: string, path?: string) => ({
  event_id: `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`,
  user_id, action, timestamp, ...(site_id ? { site_id } : {}), ...(path ? { path } : {}),
});

// Before the first computation: A shares windows, days and sites with b1 and b2, and is alone in
// the window 2025-08-02 08:00–12:00 and on 2025-08-04.
const FIRST = [
  ev(A, '2025-08-01T09:00:00Z', 'page_view', 's1', '/home'),
  ev('b1', '2025-08-01T09:05:00Z', 'page_view', 's1', '/home'),
  ev(A, '2025-08-01T09:10:00Z', 'login', 's1'),
  ev('b2', '2025-08-01T10:00:00Z', 'click', 's1'),
  ev(A, '2025-08-01T13:00:00Z', 'click', 's2'),
  ev('b1', '2025-08-01T13:30:00Z', 'login', 's2'),
  ev(A, '2025-08-02T10:00:00Z', 'page_view', 's2', '/docs'),
  ev('b2', '2025-08-02T15:00:00Z', 'page_view', 's2', '/docs'),
  ev('b1', '2025-08-03T22:00:00Z', 'page_view', undefined, '/home'),
  ev(A, '2025-08-03T23:00:00Z', 'login'),
  ev('b2', '2025-08-03T23:30:00Z', 'login'),
  ev(A, '2025-08-04T01:00:00Z', 'page_view', 's1', '/pricing'),
  // alone at the start of Kolkata's 2025-08-03 (18:30Z): read from the quarter-hour ids
  ev(A, '2025-08-02T18:40:00Z', 'click', 's1'),
];
// After it: a window made stale by A alone, one by b2, one of A alone again, and a new window of A.
const SECOND = [
  ev(A, '2025-08-01T09:20:00Z', 'click', 's1'),
  ev('b2', '2025-08-01T13:45:00Z', 'page_view', 's2', '/home'),
  ev(A, '2025-08-02T11:00:00Z', 'login', 's2'),
  ev(A, '2025-08-05T02:00:00Z', 'page_view', 's1', '/home'),
];

const RANGE = { from: '2025-08-01T00:00:00Z', till: '2025-08-06T00:00:00Z' };

/** Every figure that could count a user, as the API serves them (instants of computation left out). */
const FIGURES = [
  `/api/analytics/overview?from=${RANGE.from}&till=${RANGE.till}`,
  `/api/analytics/overview?from=${RANGE.from}&till=${RANGE.till}&site_id=s1`,
  `/api/analytics/overview?from=${RANGE.from}&till=${RANGE.till}&site_id=s2`,
  '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-05',
  '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-05&site_id=s1',
  '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-05&rolling=3',
  '/api/analytics/active-users?interval=week&from=2025-07-28&to=2025-08-10',
  '/api/analytics/active-users?interval=month&from=2025-08-01&to=2025-08-31&site_id=s2',
  // Local days: read from the hourly rollups (and Kolkata's half-hour edges from the quarter-hour ids).
  '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-05&tz=Asia/Kolkata',
  '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-05&tz=Asia/Kolkata&site_id=s1',
  '/api/analytics/overview?from=2025-08-01&till=2025-08-05&tz=America/Los_Angeles',
  '/api/analytics/overview?from=2025-08-01&till=2025-08-05&tz=America/Los_Angeles&site_id=s1',
  '/v1/user/uniques/daily?date=2025-08-02&tz=Asia/Jakarta',
  ...['01', '02', '03', '04', '05'].map((d) => `/v1/user/uniques/daily?date=2025-08-${d}`),
  '/v1/user/uniques/monthly?month=2025-08',
  '/api/reporting/stats?site_id=s1',
  '/api/reporting/stats?site_id=s2&date=2025-08-01',
  '/api/analytics/summary?from=2025-08-01T00:00:00.000Z&to=2025-08-05T23:59:59.999Z',
  '/stats?site_id=s1&date=2025-08-01',
  '/stats?site_id=s2',
  `/api/metrics?from=${RANGE.from}&till=${RANGE.till}&limit=1000`,
  `/api/metrics/windows?from=${RANGE.from}&till=${RANGE.till}&limit=1000`,
  `/api/events?from=${RANGE.from}&till=${RANGE.till}&order=asc&limit=1000`,
];

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ ERASURE_HASH_KEY: HASH_KEY });
});
afterAll(async () => {
  await t?.reset();
  await t?.close();
});

async function send(events: Sent[]): Promise<void> {
  if (events.length === 0) return;
  const res = await t.http().post('/api/events/batch').send({ events }).expect(200);
  expect(res.body.rejected).toBe(0);
}

/** The same history in every run: a first batch, a backfill of the metrics, a second batch. */
async function history(keep: (e: Sent) => boolean): Promise<void> {
  await t.reset();
  await send(FIRST.filter(keep));
  await t.http().post('/api/metrics').send(RANGE).expect(200);
  await send(SECOND.filter(keep));
}

async function figures(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const url of FIGURES) {
    const res = await t.http().get(url);
    expect([url, res.status]).toEqual([url, 200]);
    out[url] = JSON.parse(JSON.stringify(res.body, (key, value) => (['computed_at', 'duration_ms', 'received_at'].includes(key) ? undefined : value)));
  }
  return out;
}

/** Every text or JSON column of every table holding `text`, as "table.column". */
async function columnsHolding(text: string): Promise<string[]> {
  const columns: Array<{ table_name: string; column_name: string }> = await t.db.query(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
  );
  expect(columns.length).toBeGreaterThan(5);
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM "${table_name}" WHERE strpos("${column_name}"::text, $1) > 0`, [text]);
    if (n > 0) found.push(`${table_name}.${column_name}`);
  }
  return found;
}

describe('DELETE /api/users/{user_id}', () => {
  let reference: Record<string, unknown>;

  beforeAll(async () => {
    await history((e) => e.user_id !== A);
    reference = await figures();
  });

  it('leaves every figure as it would be had the user never existed, and the id nowhere', async () => {
    await history(() => true);
    const before = await figures();
    expect(before).not.toEqual(reference); // A is counted before the erasure
    expect(await columnsHolding(A)).not.toEqual([]);

    const res = await t.http().delete(`/api/users/${encodeURIComponent(A)}`).expect(200);
    const aEvents = [...FIRST, ...SECOND].filter((e) => e.user_id === A);
    expect(res.body).toEqual({
      erasure_id: expect.any(String),
      erased_at: expect.any(String),
      user_hash: createHmac('sha256', HASH_KEY).update(A).digest('hex'),
      events: aEvents.length,
      metric_rows: 6, // A's computed windows: 08-01 08:00 and 12:00, 08-02 08:00 and 16:00, 08-03 20:00, 08-04 00:00
      windows: 7, // and the pending 08-05 00:00
    });

    expect(await figures()).toEqual(reference);
    expect(await columnsHolding(A)).toEqual([]);
    const records = await t.db.query('SELECT * FROM user_erasures');
    expect(records).toEqual([
      {
        id: res.body.erasure_id,
        erased_at: new Date(res.body.erased_at),
        user_hash: res.body.user_hash,
        events: aEvents.length,
        metric_rows: 6,
        windows: 7,
        requested_by: 'http (open mode)',
      },
    ]);
    // A later computation of the stale windows does not bring A back.
    await t.http().post('/api/metrics').send({}).expect(200);
    const recomputed = await figures();
    await history((e) => e.user_id !== A);
    await t.http().post('/api/metrics').send({}).expect(200);
    expect(recomputed).toEqual(await figures());
  });

  it('answers 200 with zeros for a user with nothing stored, and records that too (requests are re-sent)', async () => {
    await t.reset();
    const res = await t.http().delete('/api/users/nobody').expect(200);
    expect(res.body).toMatchObject({ events: 0, metric_rows: 0, windows: 0 });
    expect(await t.db.query('SELECT events FROM user_erasures')).toEqual([{ events: 0 }]);
  });

  it('erases a user the events API accepts whatever its characters, and refuses an id it would not (400 naming user_id)', async () => {
    await t.reset();
    for (const odd of ['Zoë / #1 ?&', 'x'.repeat(128), '語'.repeat(128)]) {
      await send([ev(odd, '2025-08-01T09:00:00Z', 'login')]);
      const res = await t.http().delete(`/api/users/${encodeURIComponent(odd)}`);
      expect([odd.slice(0, 10), res.status, res.body.events]).toEqual([odd.slice(0, 10), 200, 1]);
    }
    for (const bad of ['x'.repeat(129), '語'.repeat(129), '%00']) {
      const res = await t.http().delete(`/api/users/${bad}`);
      expect([bad.slice(0, 10), res.status, res.body.errors?.[0]?.path]).toEqual([bad.slice(0, 10), 400, 'user_id']);
    }
    // Not UTF-8 (a lone surrogate): Fastify refuses the URL itself before any route.
    expect((await t.http().delete('/api/users/%ED%A0%80')).status).toBe(400);
  });

  it('needs an admin key: 403 with a write or read key, the key named in the record', async () => {
    await t.reset();
    const commands = t.app.get(CommandBus);
    const { secret: write } = await commands.execute(new CreateApiKeyCommand('writer', 'write'));
    const { secret: read } = await commands.execute(new CreateApiKeyCommand('reader', 'read'));
    const { key, secret: admin } = await commands.execute(new CreateApiKeyCommand('dpo', 'admin'));
    try {
      // The service learns within seconds that keys exist (probed with a read: a DELETE would erase).
      await waitFor(async () => (await t.http().get('/api/access')).status === 401, 10_000, 'keys to be required');
      expect((await t.http().delete('/api/users/x').set('X-API-Key', write)).status).toBe(403);
      expect((await t.http().delete('/api/users/x').set('X-API-Key', read)).status).toBe(403);
      await t.http().delete('/api/users/x').set('X-API-Key', admin).expect(200);
      expect(await t.db.query('SELECT requested_by FROM user_erasures')).toEqual([{ requested_by: `api-key ${key.id} (dpo)` }]);
    } finally {
      await t.reset();
      await waitFor(async () => (await t.http().get('/api/access')).status === 200, 10_000, 'the service to be open again');
    }
  });

  it('waits for an ingest of the user in flight, and erases its event too', async () => {
    await history(() => true);
    const blocker = new Client({ connectionString: process.env.DATABASE_URL });
    await blocker.connect();
    try {
      // Holds the ingest below inside its statement (its locks taken, its event row written)
      // at the row of the daily counter it adds to.
      await blocker.query('BEGIN');
      await blocker.query(`SELECT FROM analytics_daily_actions WHERE day = '2025-08-01' AND site_id = 's1' AND action = 'page_view' FOR UPDATE`);
      const late = ev(A, '2025-08-01T11:00:00Z', 'page_view', 's1', '/late');
      const ingest = t.http().post('/api/event').send(late).then((r) => r.status);
      await waitFor(async () => (await waiting('%INSERT INTO events%')) > 0, 10_000, 'the ingest to wait');
      const erasure = t.http().delete(`/api/users/${encodeURIComponent(A)}`).then((r) => r.body);
      // The erasure must wait for the ingest (without its table lock it would not see the event).
      await waitFor(async () => (await waiting('LOCK TABLE events%')) > 0, 5_000, 'the erasure to wait').catch(() => undefined);
      await blocker.query('COMMIT');
      expect(await ingest).toBe(201);
      const erased = await erasure;
      expect(erased.events).toBe([...FIRST, ...SECOND].filter((e) => e.user_id === A).length + 1);
      expect(await figures()).toEqual(reference);
      expect(await columnsHolding(A)).toEqual([]);
    } finally {
      await blocker.end();
    }
  });

  it('is also `npm run users -- erase USER_ID`', async () => {
    await history(() => true);
    const cli = spawnNode('dist/cmd/users.js', ['erase', A, '--json'], { DATABASE_URL: process.env.DATABASE_URL, ERASURE_HASH_KEY: HASH_KEY });
    expect(await cli.exited).toBe(0);
    const printed = JSON.parse(cli.output().trim().split('\n').pop()!);
    expect(printed).toMatchObject({ events: 10, metric_rows: 6, windows: 7, user_hash: createHmac('sha256', HASH_KEY).update(A).digest('hex') });
    expect(await figures()).toEqual(reference);
    expect(await t.db.query('SELECT requested_by FROM user_erasures')).toEqual([{ requested_by: 'cli' }]);

    const usage = spawnNode('dist/cmd/users.js', ['erase'], { DATABASE_URL: process.env.DATABASE_URL });
    expect(await usage.exited).toBe(2);
    const bad = spawnNode('dist/cmd/users.js', ['erase', 'x'.repeat(129)], { DATABASE_URL: process.env.DATABASE_URL });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/user_id/);
  });
});

/** Backends of the test database waiting for a lock while running a statement like `pattern`. */
async function waiting(pattern: string): Promise<number> {
  const [{ n }] = await t.db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
    [pattern],
  );
  return n;
}
