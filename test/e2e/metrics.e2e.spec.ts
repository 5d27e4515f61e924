import { computeUserActivity } from '../../src/metrics/domain/user-activity';
import { ActivityWindow } from '../../src/metrics/domain/activity-window';
import { spawnNode } from '../support/process';
import { startTestApp, useTestApp } from '../support/test-app';

/** The "User activity metrics" section of API.md through HTTP (and the CLI) on PostgreSQL. */
const t = useTestApp();

const post = (body: object) => t.http().post('/api/event').send(body).expect(201);

describe('the seed-003 flow: create events, list them, trigger, list metrics', () => {
  it('computes the documented metrics for a past window', async () => {
    const user321 = [
      ['2025-10-23T13:07:00Z', 'test_action'],
      ['2025-10-23T13:20:30.500Z', 'login'], // 13.5 min later: same session
      ['2025-10-23T14:10:00Z', 'test_action'], // 49.5 min gap: session 2
      ['2025-10-23T14:30:00Z', 'test_action'],
      ['2025-10-23T15:10:00Z', 'test_action'], // 40 min gap: session 3, a single event
    ];
    for (const [timestamp, action] of user321) await post({ user_id: 321, action, timestamp, metadata: { page: '/hello/world' } });
    await post({ user_id: 'u-77', action: 'login', timestamp: '2025-10-23T12:00:00Z' });
    await post({ user_id: 321, action: 'login', timestamp: '2025-10-23T16:00:00Z' }); // next window

    const listed = await t.http().get('/api/events?user_id=321&from=2025-10-23T13:07:00.000Z&till=2025-10-23T16:00:00.000Z&order=asc');
    expect(listed.body.data.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      '2025-10-23T13:07:00.000Z',
      '2025-10-23T13:20:30.500Z',
      '2025-10-23T14:10:00.000Z',
      '2025-10-23T14:30:00.000Z',
      '2025-10-23T15:10:00.000Z',
    ]);

    const run = await t.http().post('/api/metrics');
    expect(run.status).toBe(200);
    expect(run.body).toEqual({
      windows: [
        { window_start: '2025-10-23T12:00:00.000Z', window_end: '2025-10-23T16:00:00.000Z', users: 2, events: 6, status: 'computed' },
        { window_start: '2025-10-23T16:00:00.000Z', window_end: '2025-10-23T20:00:00.000Z', users: 1, events: 1, status: 'computed' },
      ],
    });

    const metrics = await t.http().get('/api/metrics?user_id=321&from=2025-10-23T13:07:18.392Z&till=2025-10-23T16:00:00Z');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toEqual({
      data: [
        {
          user_id: '321',
          window_start: '2025-10-23T12:00:00.000Z',
          window_end: '2025-10-23T16:00:00.000Z',
          event_count: 5,
          distinct_actions: 2,
          action_counts: { test_action: 4, login: 1 },
          first_event_at: '2025-10-23T13:07:00.000Z',
          last_event_at: '2025-10-23T15:10:00.000Z',
          session_count: 3,
          active_seconds: 810.5 + 1200,
          computed_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });
    expect(Date.parse(metrics.body.data[0].computed_at)).toBeGreaterThan(Date.now() - 60_000);

    // A window that overlaps the range only at its edge is included: [12:00,16:00) and [16:00,20:00).
    const both = await t.http().get('/api/metrics?user_id=321&from=2025-10-23T15:00:00Z&till=2025-10-23T16:00:00.001Z');
    expect(both.body.data.map((m: { window_start: string }) => m.window_start)).toEqual([
      '2025-10-23T12:00:00.000Z',
      '2025-10-23T16:00:00.000Z',
    ]);

    // Repeating the computation changes nothing and reports nothing to do.
    expect((await t.http().post('/api/metrics').send({})).body).toEqual({ windows: [] });
  });
});

describe('staleness, backfill and the ledger', () => {
  it('makes a window stale with a late event and the next run fixes it', async () => {
    await post({ user_id: 'a', action: 'x', timestamp: '2025-10-23T09:00:00Z' });
    await t.http().post('/api/metrics').expect(200);
    const computed = await t.http().get('/api/metrics/windows');
    expect(computed.body.data).toEqual([
      {
        window_start: '2025-10-23T08:00:00.000Z',
        window_end: '2025-10-23T12:00:00.000Z',
        status: 'computed',
        users: 1,
        events: 1,
        computed_at: expect.any(String),
        trigger: 'http',
        duration_ms: expect.any(Number),
      },
    ]);

    await post({ user_id: 'b', action: 'late', timestamp: '2025-10-23T11:59:59.999Z' });
    const stale = await t.http().get('/api/metrics/windows?status=stale');
    expect(stale.body.data.map((w: { window_start: string }) => w.window_start)).toEqual(['2025-10-23T08:00:00.000Z']);
    // Until recomputed, the metrics still show what was computed.
    expect((await t.http().get('/api/metrics')).body.data.map((m: { user_id: string }) => m.user_id)).toEqual(['a']);

    const rerun = await t.http().post('/api/metrics');
    expect(rerun.body.windows).toEqual([expect.objectContaining({ window_start: '2025-10-23T08:00:00.000Z', users: 2, events: 2 })]);
    expect((await t.http().get('/api/metrics/windows?status=computed')).body.data).toHaveLength(1);
    expect((await t.http().get('/api/metrics')).body.data.map((m: { user_id: string }) => m.user_id)).toEqual(['a', 'b']);
  });

  it('shows pending and open windows with null computation fields', async () => {
    await post({ user_id: 'a', action: 'x', timestamp: '2025-10-23T09:00:00Z' });
    await post({ user_id: 'a', action: 'x' }); // now: the current window is open
    const res = await t.http().get('/api/metrics/windows');
    expect(res.body.data.map((w: { status: string }) => w.status)).toEqual(['pending', 'open']);
    expect(res.body.data[0]).toMatchObject({ users: null, events: null, computed_at: null, trigger: null, duration_ms: null });
    expect((await t.http().get('/api/metrics/windows?status=open')).body.data).toHaveLength(1);
    // The open window is never computed.
    expect((await t.http().post('/api/metrics')).body.windows).toHaveLength(1);
    expect((await t.http().get('/api/metrics/windows?status=open')).body.data).toHaveLength(1);
  });

  it('backfills every ended window overlapping a range, whatever its state', async () => {
    for (const timestamp of ['2025-10-20T01:00:00Z', '2025-10-21T05:00:00Z', '2025-10-21T09:00:00Z', '2025-10-22T13:00:00Z']) {
      await post({ user_id: 'a', action: 'x', timestamp });
    }
    await t.http().post('/api/metrics').expect(200);
    const res = await t.http().post('/api/metrics').send({ from: '2025-10-21T06:00:00Z', till: '2025-10-22T13:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body.windows.map((w: { window_start: string }) => w.window_start)).toEqual([
      '2025-10-21T04:00:00.000Z',
      '2025-10-21T08:00:00.000Z',
      '2025-10-22T12:00:00.000Z', // till 13:00 is inside it: the window overlaps the range
    ]);
    const [row] = await t.db.query('SELECT sum(computations)::int AS total FROM metric_windows');
    expect(row.total).toBe(4 + 3);
  });

  it('pages metrics and windows without gaps or repeats', async () => {
    const events = Array.from({ length: 24 }, (_, i) => ({
      user_id: `u${i % 5}`,
      action: 'x',
      timestamp: new Date(Date.UTC(2025, 9, 20) + i * 3 * 3_600_000).toISOString(),
    }));
    await t.http().post('/api/events/batch').send({ events }).expect(200);
    await t.http().post('/api/metrics').expect(200);
    for (const path of ['/api/metrics', '/api/metrics/windows']) {
      const all = (await t.http().get(`${path}?limit=1000`)).body.data;
      const walked: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: unknown[]; next_cursor: string | null } } = await t.http().get(
          `${path}?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        walked.push(...page.body.data);
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(walked).toEqual(all);
      expect(all.length).toBeGreaterThan(4);
    }
  });

  it('lists the window ledger newest first with order=desc, paged without gaps or repeats', async () => {
    const events = Array.from({ length: 24 }, (_, i) => ({
      user_id: `u${i % 5}`,
      action: 'x',
      timestamp: new Date(Date.UTC(2025, 9, 20) + i * 3 * 3_600_000).toISOString(),
    }));
    await t.http().post('/api/events/batch').send({ events }).expect(200);
    const asc = (await t.http().get('/api/metrics/windows?limit=1000')).body.data;
    const desc = (await t.http().get('/api/metrics/windows?limit=1000&order=desc')).body.data;
    expect(desc.length).toBeGreaterThan(4);
    expect(desc).toEqual([...asc].reverse());
    const walked: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: unknown[]; next_cursor: string | null } } = await t.http().get(
        `/api/metrics/windows?order=desc&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      walked.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(walked).toEqual(desc);
    // A cursor of one order is refused by the other, naming the cursor.
    const ascCursor = (await t.http().get('/api/metrics/windows?limit=2')).body.next_cursor;
    const mixed = await t.http().get(`/api/metrics/windows?limit=2&order=desc&cursor=${ascCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors).toEqual([{ path: 'cursor', message: expect.stringContaining('order=asc') }]);
  });
});

describe('errors', () => {
  it.each([
    ['from without till', { from: '2025-10-23T00:00:00Z' }, 'till'],
    ['till without from', { till: '2025-10-23T00:00:00Z' }, 'from'],
    ['till not after from', { from: '2025-10-23T00:00:00Z', till: '2025-10-23T00:00:00Z' }, 'till'],
    ['a range over 366 days', { from: '2024-01-01T00:00:00Z', till: '2025-01-02T00:00:00Z' }, 'till'],
    ['a time without a zone', { from: '2025-10-23T00:00:00', till: '2025-10-24T00:00:00Z' }, 'from'],
    ['an impossible date', { from: '2025-10-257T22:07:00Z', till: '2025-10-30T00:00:00Z' }, 'from'],
    ['an unknown field', { form: '2025-10-23T00:00:00Z' }, 'form'],
  ])('POST /api/metrics rejects %s', async (_why, body, path) => {
    const res = await t.http().post('/api/metrics').send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
  });

  it.each([
    ['/api/metrics?limit=0', 'limit'],
    ['/api/metrics?from=yesterday', 'from'],
    ['/api/metrics?from=2025-10-23T00:00:00Z&till=2025-10-22T00:00:00Z', 'till'],
    ['/api/metrics?cursor=bogus', 'cursor'],
    ['/api/metrics?userid=1', 'userid'],
    ['/api/metrics/windows?status=done', 'status'],
    ['/api/metrics/windows?cursor=bogus', 'cursor'],
    ['/api/metrics/windows?order=newest', 'order'],
  ])('GET %s is a 400 naming %s', async (url, path) => {
    const res = await t.http().get(url);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
  });

  it('POST /api/metrics answers 415 for a non-JSON body', async () => {
    expect((await t.http().post('/api/metrics').set('Content-Type', 'text/plain').send('now')).status).toBe(415);
  });
});

describe('concurrent triggers', () => {
  it('ten HTTP runs and a CLI run leave the right rows and one computation per window', async () => {
    const events = Array.from({ length: 600 }, (_, i) => ({
      user_id: `user-${i % 37}`,
      action: ['login', 'view', 'buy'][i % 3],
      timestamp: new Date(Date.UTC(2025, 9, 1) + ((i * 7919) % (20 * 86_400)) * 1000).toISOString(),
    }));
    for (let i = 0; i < events.length; i += 300) {
      await t.http().post('/api/events/batch').send({ events: events.slice(i, i + 300) }).expect(200);
    }
    const cli = spawnNode('dist/cmd/calculate-metrics.js', ['--json'], {});
    const http = await Promise.all(Array.from({ length: 10 }, () => t.http().post('/api/metrics')));
    expect(await cli.exited).toBe(0);
    expect(http.every((r) => r.status === 200)).toBe(true);

    const computedByHttp = http.flatMap((r) => r.body.windows.map((w: { window_start: string }) => w.window_start));
    const computedByCli = JSON.parse(cli.output()).windows.map((w: { window_start: string }) => w.window_start);
    const all = [...computedByHttp, ...computedByCli];
    const ledger: Array<{ window_start: Date; computations: number; trigger: string }> = await t.db.query(
      'SELECT window_start, computations, trigger FROM metric_windows ORDER BY window_start',
    );
    expect(all.length).toBe(ledger.length);
    expect(new Set(all).size).toBe(ledger.length);
    expect(ledger.every((w) => w.computations === 1)).toBe(true);

    // The rows are exactly the reference function's, window by window.
    const byWindow = new Map<string, Array<{ userId: string; action: string; occurredAt: Date }>>();
    for (const e of events) {
      const key = ActivityWindow.containing(new Date(e.timestamp)).start.toISOString();
      byWindow.set(key, [...(byWindow.get(key) ?? []), { userId: e.user_id, action: e.action, occurredAt: new Date(e.timestamp) }]);
    }
    const expected = [...byWindow.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([windowStart, list]) =>
        computeUserActivity(list).map((m) => ({ window_start: windowStart, user_id: m.userId, event_count: m.eventCount, session_count: m.sessionCount, active_seconds: m.activeMs / 1000 })),
      );
    const stored = (await t.http().get('/api/metrics?limit=1000')).body.data.map(
      (m: { window_start: string; user_id: string; event_count: number; session_count: number; active_seconds: number }) => ({
        window_start: m.window_start,
        user_id: m.user_id,
        event_count: m.event_count,
        session_count: m.session_count,
        active_seconds: m.active_seconds,
      }),
    );
    expect(stored).toEqual(expected);
  });
});

describe('the cron trigger', () => {
  it('dispatches the same command on its schedule when enabled', async () => {
    await post({ user_id: 'cron-user', action: 'x', timestamp: '2025-10-23T09:00:00Z' });
    const cronApp = await startTestApp({ METRICS_CRON_ENABLED: 'true', METRICS_CRON: '* * * * * *' });
    try {
      let trigger: string | null = null;
      for (let i = 0; i < 40 && trigger === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        [{ trigger } = { trigger: null }] = await t.db.query("SELECT trigger FROM metric_windows WHERE trigger IS NOT NULL");
      }
      expect(trigger).toBe('cron');
    } finally {
      await cronApp.close();
    }
  });

  it('does not run when disabled', async () => {
    await post({ user_id: 'cron-user', action: 'x', timestamp: '2025-10-23T09:00:00Z' });
    const quiet = await startTestApp({ METRICS_CRON_ENABLED: 'false', METRICS_CRON: '* * * * * *' });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM metric_windows WHERE computed_version IS NOT NULL');
      expect(n).toBe(0);
    } finally {
      await quiet.close();
    }
  });
});
