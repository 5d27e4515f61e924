import { useTestApp } from '../support/test-app';

/** The compatibility routes: each system's own shapes, flows of its document, one storage path. */
const t = useTestApp();

const count = async () => (await t.db.query('SELECT count(*)::int AS n FROM events'))[0].n as number;

describe('seed 000: user logins', () => {
  it("gives the document's two-logins flow: one unique user that day", async () => {
    const login = (time: string) =>
      t.http().post('/v1/user/login').send({ user_id: '05378ca8-961d-49e7-a903-8026dad78bb7', login_time: time });
    const first = await login('2025-08-09T16:30:00Z');
    expect(first.status).toBe(202);
    expect(first.text).toBe('');
    expect((await login('2025-08-09T17:30:00Z')).status).toBe(202);
    const daily = await t.http().get('/v1/user/uniques/daily?date=2025-08-09');
    expect(daily.status).toBe(200);
    expect(daily.body).toEqual({ date: '2025-08-09', unique_users: 1 });
    // Stored through the native write path, as action "login", readable natively.
    const native = await t.http().get('/api/events?user_id=05378ca8-961d-49e7-a903-8026dad78bb7&order=asc');
    expect(native.body.data.map((e: { action: string; timestamp: string }) => [e.action, e.timestamp])).toEqual([
      ['login', '2025-08-09T16:30:00.000Z'],
      ['login', '2025-08-09T17:30:00.000Z'],
    ]);
  });

  it('stores the same user and login_time once, counts months, and ignores non-login events', async () => {
    for (let i = 0; i < 3; i++) await t.http().post('/v1/user/login').send({ user_id: 'u1', login_time: '2025-08-10T02:15:00Z' }).expect(202);
    await t.http().post('/v1/user/login').send({ user_id: 'u2', login_time: '2025-08-31T23:59:59Z' }).expect(202);
    await t.http().post('/v1/user/login').send({ user_id: 'u3', login_time: '2025-09-01T00:00:00Z' }).expect(202);
    await t.http().post('/api/event').send({ user_id: 'u4', action: 'page_view', timestamp: '2025-08-10T03:00:00Z' }).expect(201);
    expect(await count()).toBe(4);
    expect((await t.http().get('/v1/user/uniques/daily?date=2025-08-10')).body).toEqual({ date: '2025-08-10', unique_users: 1 });
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-08')).body).toEqual({ month: '2025-08', unique_users: 2 });
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-09')).body).toEqual({ month: '2025-09', unique_users: 1 });
  });

  it('answers 400 with an error for bad input', async () => {
    const bad = await t.http().post('/v1/user/login').send({ user_id: 'u1', login_time: '2025-08-10 02:15' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('login_time');
    expect((await t.http().get('/v1/user/uniques/daily?date=2025-02-30')).status).toBe(400);
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-13')).status).toBe(400);
    expect(await count()).toBe(0);
  });
});

describe('seed 000: uniques in a time zone (tz)', () => {
  it('counts the local day and month of tz, names the zone, and refuses an unknown one', async () => {
    // 2025-08-09T18:00Z is 10 August 01:00 in Jakarta (UTC+7); 2025-08-31T20:00Z is 1 September there.
    await t.http().post('/v1/user/login').send({ user_id: 'j1', login_time: '2025-08-09T18:00:00Z' }).expect(202);
    await t.http().post('/v1/user/login').send({ user_id: 'j2', login_time: '2025-08-31T20:00:00Z' }).expect(202);
    expect((await t.http().get('/v1/user/uniques/daily?date=2025-08-09')).body).toEqual({ date: '2025-08-09', unique_users: 1 });
    expect((await t.http().get('/v1/user/uniques/daily?date=2025-08-09&tz=Asia/Jakarta')).body).toEqual({ date: '2025-08-09', unique_users: 0, tz: 'Asia/Jakarta' });
    expect((await t.http().get('/v1/user/uniques/daily?date=2025-08-10&tz=Asia/Jakarta')).body).toEqual({ date: '2025-08-10', unique_users: 1, tz: 'Asia/Jakarta' });
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-08')).body).toEqual({ month: '2025-08', unique_users: 2 });
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-08&tz=Asia/Jakarta')).body).toEqual({ month: '2025-08', unique_users: 1, tz: 'Asia/Jakarta' });
    expect((await t.http().get('/v1/user/uniques/monthly?month=2025-09&tz=Asia/Jakarta')).body).toEqual({ month: '2025-09', unique_users: 1, tz: 'Asia/Jakarta' });
    for (const url of ['/v1/user/uniques/daily?date=2025-08-10&tz=Nowhere/Land', '/v1/user/uniques/monthly?month=2025-08&tz=Nowhere/Land']) {
      const bad = await t.http().get(url);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('tz');
    }
  });
});

describe('seeds 001 and 004: a site\'s stats of a local day (tz)', () => {
  it('reads date as the local day of tz, names the zone, and refuses an unknown one', async () => {
    // 2025-11-12T20:00Z is 13 November 03:00 in Jakarta.
    const event = { site_id: 'tz-site', event_type: 'page_view', path: '/p', user_id: 'x', timestamp: '2025-11-12T20:00:00Z' };
    await t.http().post('/api/ingestion/event').send(event).expect(202);
    const reporting = (query: string) => t.http().get(`/api/reporting/stats?site_id=tz-site&${query}`);
    expect((await reporting('date=2025-11-12')).body.data).toEqual({ site_id: 'tz-site', date: '2025-11-12', total_views: 1, unique_users: 1, top_paths: [{ path: '/p', views: 1 }] });
    expect((await reporting('date=2025-11-12&tz=Asia/Jakarta')).status).toBe(404);
    expect((await reporting('date=2025-11-13&tz=Asia/Jakarta')).body).toEqual({
      status: 'success',
      data: { site_id: 'tz-site', date: '2025-11-13', total_views: 1, unique_users: 1, top_paths: [{ path: '/p', views: 1 }], tz: 'Asia/Jakarta' },
    });
    expect((await t.http().get('/stats?site_id=tz-site&date=2025-11-13&tz=Asia/Jakarta')).body).toEqual({
      site_id: 'tz-site', date: '2025-11-13', total_views: 1, unique_users: 1, top_paths: [{ path: '/p', views: 1 }], tz: 'Asia/Jakarta',
    });
    expect((await t.http().get('/stats?site_id=tz-site&date=2025-11-12&tz=Asia/Jakarta')).body).toMatchObject({ total_views: 0, tz: 'Asia/Jakarta' });
    for (const url of ['/api/reporting/stats?site_id=tz-site&date=2025-11-13&tz=Nowhere/Land', '/stats?site_id=tz-site&date=2025-11-13&tz=Nowhere/Land']) {
      const bad = await t.http().get(url);
      expect([400, 422]).toContain(bad.status);
      expect(JSON.stringify(bad.body)).toContain('tz');
    }
  });
});

describe('seed 001: ingestion and reporting', () => {
  const event = { site_id: 'site-abc-123', event_type: 'page_view', path: '/pricing', user_id: 'user-xyz-789', timestamp: '2025-11-12T19:30:01Z' };

  it('queues (stores) an event, once for the same natural key, and reports it', async () => {
    const res = await t.http().post('/api/ingestion/event').send(event);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'queued' });
    await t.http().post('/api/ingestion/event').send({ ...event, event_type: 'page_view' }).expect(202);
    await t.http().post('/api/ingestion/event').send({ ...event, path: '/blog/post-1' }).expect(202);
    await t.http().post('/api/ingestion/event').send({ ...event, path: '/', user_id: undefined }).expect(202);
    await t.http().post('/api/ingestion/event').send({ ...event, event_type: 'click', path: '/x', timestamp: '2025-11-12T20:00:00Z' }).expect(202);
    await t.http().post('/api/ingestion/event').send({ ...event, timestamp: '2025-11-13T10:00:00Z' }).expect(202);
    expect(await count()).toBe(5);

    const day = await t.http().get('/api/reporting/stats?site_id=site-abc-123&date=2025-11-12');
    expect(day.status).toBe(200);
    expect(day.body).toEqual({
      status: 'success',
      data: {
        site_id: 'site-abc-123',
        date: '2025-11-12',
        total_views: 3,
        unique_users: 1,
        top_paths: [
          { path: '/', views: 1 },
          { path: '/blog/post-1', views: 1 },
          { path: '/pricing', views: 1 },
        ],
      },
    });
    const all = await t.http().get('/api/reporting/stats?site_id=site-abc-123');
    expect(all.body.data).toMatchObject({ date: 'all-time', total_views: 4, unique_users: 1 });
    expect(all.body.data.top_paths[0]).toEqual({ path: '/pricing', views: 2 });
  });

  it("answers its own 400 and 404 shapes", async () => {
    const missing = await t.http().post('/api/ingestion/event').send({ ...event, site_id: undefined });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ status: 'fail', errors: [{ path: 'body.site_id', message: 'site_id is required' }] });
    const none = await t.http().get('/api/reporting/stats?site_id=nobody');
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ status: 'fail', message: 'No analytics data found for the specified criteria.' });
    expect((await t.http().get('/api/reporting/stats')).status).toBe(400);
    expect((await t.http().get('/api/healthcheck')).body).toEqual({ message: 'API is running, healthy, and ready!' });
  });
});

describe('seed 002: summary', () => {
  it('summarises [from, to] with to inclusive', async () => {
    await t.http().post('/api/events/batch').send({
      events: [
        { user_id: 'a', action: 'page_view', timestamp: '2024-01-01T00:00:00.000Z' },
        { user_id: 'b', action: 'click', timestamp: '2024-01-31T23:59:59.999Z' },
        { user_id: 'a', action: 'page_view', timestamp: '2024-02-01T00:00:00.000Z' },
      ],
    }).expect(200);
    const res = await t.http().get('/api/analytics/summary?from=2024-01-01T00:00:00.000Z&to=2024-01-31T23:59:59.999Z');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { totalEvents: 2, uniqueUsers: 2, eventsByType: { page_view: 1, click: 1 } }, cached: false });
    expect((await t.http().get('/api/analytics/summary?from=2024-01-01T00:00:00Z')).status).toBe(400);
    expect((await t.http().get('/api/analytics/summary?from=yesterday&to=today')).body.error).toContain('from');
    expect((await t.http().get('/health')).body).toEqual({ status: 'ok' });
  });
});

describe('seed 004: events and stats', () => {
  it('queues (stores) events once and reports per site', async () => {
    const event = { site_id: 'test-site', event_type: 'page_view', path: '/home', user_id: 'user123', timestamp: '2025-11-14T13:30:01Z' };
    expect((await t.http().post('/event').send(event)).body).toEqual({ status: 'queued' });
    await t.http().post('/event').send(event).expect(202);
    await t.http().post('/event').send({ ...event, user_id: 'user456', path: '/products' }).expect(202);
    expect(await count()).toBe(2);
    const res = await t.http().get('/stats?site_id=test-site&date=2025-11-14');
    expect(res.body).toEqual({
      site_id: 'test-site',
      date: '2025-11-14',
      total_views: 2,
      unique_users: 2,
      top_paths: [
        { path: '/home', views: 1 },
        { path: '/products', views: 1 },
      ],
    });
    expect((await t.http().get('/stats?site_id=test-site')).body.date).toBe('all-time');
    expect((await t.http().get('/stats?site_id=empty')).body).toEqual({ site_id: 'empty', date: 'all-time', total_views: 0, unique_users: 0, top_paths: [] });
    const invalid = await t.http().post('/event').send({ ...event, timestamp: 'soon' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail[0].loc).toEqual(['body', 'timestamp']);
  });
});
