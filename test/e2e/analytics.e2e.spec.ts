import { uuidv7 } from '../../src/shared/uuid';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { startTestApp, TestApp } from '../support/test-app';

/** The "Analytics" section of API.md, against expectations computed here from the events sent. */
let t: TestApp;

interface Sent {
  user_id?: string;
  action: string;
  site_id?: string;
  path?: string;
  timestamp: string;
}

// Users active on several days, across a week boundary (Mon 2025-08-04, Mon 2025-08-11) and a
// month boundary (2025-07-31 → 2025-08-01), on two sites, plus anonymous events (compat
// ingestion allows them; here they are written directly, as compat will).
const EVENTS: Sent[] = [
  { user_id: 'a', action: 'page_view', site_id: 's1', path: '/pricing', timestamp: '2025-07-31T23:59:59.999Z' },
  { user_id: 'a', action: 'page_view', site_id: 's1', path: '/pricing', timestamp: '2025-08-01T00:00:00.000Z' },
  { user_id: 'b', action: 'click', site_id: 's1', path: '/home', timestamp: '2025-08-03T12:00:00Z' },
  { user_id: 'b', action: 'page_view', site_id: 's2', path: '/home', timestamp: '2025-08-04T08:00:00Z' },
  { user_id: 'c', action: 'page_view', site_id: 's2', path: '/docs', timestamp: '2025-08-04T09:00:00Z' },
  { user_id: 'a', action: 'purchase', site_id: 's1', path: '/pricing', timestamp: '2025-08-10T23:00:00Z' },
  { user_id: 'c', action: 'page_view', site_id: 's1', path: '/docs', timestamp: '2025-08-11T00:30:00Z' },
  { user_id: 'd', action: 'page_view', site_id: 's1', path: '/home', timestamp: '2025-08-20T10:00:00Z' },
  { user_id: 'd', action: 'page_view', site_id: 's1', path: '/docs', timestamp: '2025-09-02T10:00:00Z' },
  { action: 'page_view', site_id: 's1', path: '/docs', timestamp: '2025-08-04T10:00:00Z' },
  { action: 'page_view', site_id: 's2', path: '/home', timestamp: '2025-08-11T10:00:00Z' },
  // Without a site (site_id NULL, its own row of the per-site split), and a user of two sites.
  { user_id: 'c', action: 'click', timestamp: '2025-08-20T11:00:00Z' },
  { user_id: 'b', action: 'click', site_id: 's2', timestamp: '2025-09-02T06:00:00Z' },
];

const DAY = 86_400_000;
const day = (s: string) => Date.parse(`${s}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Distinct identified users with an event in [lo, hi), optionally on one site. */
function users(lo: number, hi: number, site?: string): number {
  return new Set(
    EVENTS.filter((e) => e.user_id && Date.parse(e.timestamp) >= lo && Date.parse(e.timestamp) < hi && (!site || e.site_id === site)).map(
      (e) => e.user_id,
    ),
  ).size;
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  // Through the service's own event store (the write that maintains the rollups), with the
  // timestamps and anonymous events the native API would not take as they are.
  const receivedAt = new Date();
  await t.app.get(TypeOrmEventRepository).insertNew(
    EVENTS.map((e) => ({
      id: uuidv7(),
      userId: e.user_id ?? null,
      action: e.action,
      occurredAt: new Date(e.timestamp),
      receivedAt,
      metadata: {},
      siteId: e.site_id ?? null,
      path: e.path ?? null,
    })),
  );
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/analytics/active-users', () => {
  it('counts unique users per day, every day present, zeros included', async () => {
    const res = await t.http().get('/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-08-05');
    expect(res.status).toBe(200);
    const expected = [];
    for (let d = day('2025-07-31'); d <= day('2025-08-05'); d += DAY) expected.push({ period_start: iso(d), unique_users: users(d, d + DAY) });
    expect(res.body).toEqual({ interval: 'day', tz: 'UTC', rolling: null, data: expected });
    expect(expected.map((p) => p.unique_users)).toEqual([1, 1, 0, 1, 2, 0]);
  });

  it('labels ISO weeks by their Monday and counts only inside [from, to]', async () => {
    const res = await t.http().get('/api/analytics/active-users?interval=week&from=2025-08-03&to=2025-08-11');
    expect(res.body.data).toEqual([
      { period_start: '2025-07-28', unique_users: users(day('2025-08-03'), day('2025-08-04')) },
      { period_start: '2025-08-04', unique_users: users(day('2025-08-04'), day('2025-08-11')) },
      { period_start: '2025-08-11', unique_users: users(day('2025-08-11'), day('2025-08-12')) },
    ]);
    expect(res.body.data.map((p: { unique_users: number }) => p.unique_users)).toEqual([1, 3, 1]);
  });

  it('counts months, per site', async () => {
    const res = await t.http().get('/api/analytics/active-users?interval=month&from=2025-07-01&to=2025-09-30&site_id=s1');
    expect(res.body.data).toEqual([
      { period_start: '2025-07-01', unique_users: users(day('2025-07-01'), day('2025-08-01'), 's1') },
      { period_start: '2025-08-01', unique_users: users(day('2025-08-01'), day('2025-09-01'), 's1') },
      { period_start: '2025-09-01', unique_users: users(day('2025-09-01'), day('2025-10-01'), 's1') },
    ]);
    expect(res.body.data.map((p: { unique_users: number }) => p.unique_users)).toEqual([1, 4, 1]);
  });

  it('gives rolling N-day active users per day, looking back before from and before the first event', async () => {
    const res = await t.http().get('/api/analytics/active-users?interval=day&from=2025-07-25&to=2025-08-12&rolling=7');
    expect(res.body.rolling).toBe(7);
    const expected = [];
    for (let d = day('2025-07-25'); d <= day('2025-08-12'); d += DAY) {
      expected.push({ period_start: iso(d), unique_users: users(d + DAY - 7 * DAY, d + DAY) });
    }
    expect(res.body.data).toEqual(expected);
    expect(res.body.data[0].unique_users).toBe(0);
    expect(Math.max(...expected.map((p) => p.unique_users))).toBe(3);
  });

  it.each([
    ['interval missing', 'from=2025-08-01&to=2025-08-02', 'interval'],
    ['interval unknown', 'interval=year&from=2025-08-01&to=2025-08-02', 'interval'],
    ['from missing', 'interval=day&to=2025-08-02', 'from'],
    ['an impossible date', 'interval=day&from=2025-02-30&to=2025-03-02', 'from'],
    ['a date-time instead of a date', 'interval=day&from=2025-08-01T00:00:00Z&to=2025-08-02', 'from'],
    ['to before from', 'interval=day&from=2025-08-02&to=2025-08-01', 'to'],
    ['rolling with weeks', 'interval=week&from=2025-08-01&to=2025-08-30&rolling=7', 'rolling'],
    ['rolling 91', 'interval=day&from=2025-08-01&to=2025-08-30&rolling=91', 'rolling'],
    ['more than 1000 periods', 'interval=day&from=2020-01-01&to=2025-01-01', 'to'],
  ])('answers 400 for %s', async (_why, query, path) => {
    const res = await t.http().get(`/api/analytics/active-users?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
  });
});

function expectedOverview(from?: string, till?: string, site?: string, top = 10) {
  const inRange = EVENTS.filter(
    (e) => (!from || Date.parse(e.timestamp) >= Date.parse(from)) && (!till || Date.parse(e.timestamp) < Date.parse(till)) && (!site || e.site_id === site),
  );
  const byAction: Record<string, number> = {};
  for (const e of inRange) byAction[e.action] = (byAction[e.action] ?? 0) + 1;
  const views = new Map<string, number>();
  for (const e of inRange.filter((e) => e.action === 'page_view' && e.path)) views.set(e.path!, (views.get(e.path!) ?? 0) + 1);
  const sites = [...new Set(inRange.map((e) => e.site_id ?? null))].map((site) => {
    const of = inRange.filter((e) => (e.site_id ?? null) === site);
    return {
      site_id: site,
      events: of.length,
      unique_users: new Set(of.filter((e) => e.user_id).map((e) => e.user_id)).size,
      page_views: of.filter((e) => e.action === 'page_view').length,
    };
  });
  // Busiest first; ties by site id, "no site" (null) last.
  sites.sort((a, b) => b.events - a.events || (a.site_id === null ? 1 : b.site_id === null ? -1 : a.site_id < b.site_id ? -1 : 1));
  const rangeUsers = new Set(inRange.filter((e) => e.user_id).map((e) => e.user_id));
  // Returning: seen (on the site, with one) before from; new: the others.
  const seenBefore = new Set(
    EVENTS.filter((e) => e.user_id && from && Date.parse(e.timestamp) < Date.parse(from) && (!site || e.site_id === site)).map((e) => e.user_id),
  );
  const returning = [...rangeUsers].filter((u) => seenBefore.has(u)).length;
  return {
    total_events: inRange.length,
    unique_users: rangeUsers.size,
    new_users: rangeUsers.size - returning,
    returning_users: returning,
    page_views: inRange.filter((e) => e.action === 'page_view').length,
    events_by_action: byAction,
    top_paths: [...views.entries()]
      .sort(([pa, a], [pb, b]) => b - a || (pa < pb ? -1 : 1))
      .slice(0, top)
      .map(([path, v]) => ({ path, views: v })),
    sites,
  };
}

describe('GET /api/analytics/overview', () => {
  it('summarises all time', async () => {
    const res = await t.http().get('/api/analytics/overview');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ from: null, till: null, tz: 'UTC', site_id: null, ...expectedOverview() });
    expect(res.body.top_paths).toEqual([
      { path: '/docs', views: 4 },
      { path: '/home', views: 3 },
      { path: '/pricing', views: 2 },
    ]);
  });

  it('summarises a range on one site, with top N and ties ordered by path', async () => {
    const res = await t.http().get('/api/analytics/overview?from=2025-08-01T00:00:00Z&till=2025-08-21T00:00:00Z&site_id=s1&top=2');
    expect(res.body).toEqual({
      from: '2025-08-01T00:00:00.000Z',
      till: '2025-08-21T00:00:00.000Z',
      tz: 'UTC',
      site_id: 's1',
      ...expectedOverview('2025-08-01T00:00:00Z', '2025-08-21T00:00:00Z', 's1', 2),
    });
  });

  it("splits a range with partial days by site, each site's users exact (not summed over days or sites)", async () => {
    // Starts and ends inside days, so each end is read from raw events: "b" is on s1 only in
    // the first partial day and on s2 both in whole days and in the last partial day; "c" is
    // on s1, s2 and on no site. Each site counts each of its users once; the total once overall.
    const from = '2025-08-03T12:00:00Z';
    const till = '2025-09-02T06:30:00Z';
    const res = await t.http().get(`/api/analytics/overview?from=${from}&till=${till}`);
    expect(res.status).toBe(200);
    const expected = expectedOverview(from, till);
    expect(res.body).toEqual({ from: '2025-08-03T12:00:00.000Z', till: '2025-09-02T06:30:00.000Z', tz: 'UTC', site_id: null, ...expected });
    expect(res.body.sites.map((s: { site_id: string | null }) => s.site_id)).toEqual(['s1', 's2', null]);
    const total = res.body.sites.reduce((n: number, s: { unique_users: number }) => n + s.unique_users, 0);
    expect(total).toBeGreaterThan(res.body.unique_users); // users of several sites count on each
    // The same split with whole days only, and with no whole day at all.
    for (const [lo, hi] of [
      ['2025-08-01T00:00:00Z', '2025-09-03T00:00:00Z'],
      ['2025-08-04T08:30:00Z', '2025-08-04T10:30:00Z'],
    ]) {
      expect((await t.http().get(`/api/analytics/overview?from=${lo}&till=${hi}`)).body.sites).toEqual(expectedOverview(lo, hi).sites);
    }
    // A site filter leaves only that site in the split.
    const one = await t.http().get(`/api/analytics/overview?from=${from}&till=${till}&site_id=s2`);
    expect(one.body.sites).toEqual(expectedOverview(from, till, 's2').sites);
    expect(one.body.sites).toHaveLength(1);
  });

  it.each([
    ['top 0', 'top=0', 'top'],
    ['top 101', 'top=101', 'top'],
    ['till before from', 'from=2025-08-02T00:00:00Z&till=2025-08-01T00:00:00Z', 'till'],
    ['a time without zone', 'from=2025-08-02T00:00:00', 'from'],
  ])('answers 400 for %s', async (_why, query, path) => {
    const res = await t.http().get(`/api/analytics/overview?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
  });
});

describe('analytics and the write path', () => {
  it('counts an event written through the API once, however often it is re-sent, and edges of a range exactly', async () => {
    const overview = async (query = '') => (await t.http().get(`/api/analytics/overview?site_id=s3${query}`)).body;
    const dau = async () => (await t.http().get('/api/analytics/active-users?interval=day&from=2025-10-02&to=2025-10-02&site_id=s3')).body.data[0];
    const before = await overview();
    expect(before.total_events).toBe(0);
    const sent = {
      event_id: '0199a3c0-0000-7000-8000-000000000001',
      user_id: 'z',
      action: 'page_view',
      timestamp: '2025-10-02T13:00:00Z',
      site_id: 's3',
      path: '/new',
    };
    expect((await t.http().post('/api/event').send(sent)).status).toBe(201);
    const once = await overview();
    for (const status of [200, 200]) expect((await t.http().post('/api/event').send(sent)).status).toBe(status);
    const batch = await t.http().post('/api/events/batch').send({ events: [sent, sent] });
    expect(batch.body).toMatchObject({ created: 0, duplicates: 2 });
    expect(await overview()).toEqual(once);
    expect(once).toMatchObject({ total_events: 1, unique_users: 1, page_views: 1, events_by_action: { page_view: 1 }, top_paths: [{ path: '/new', views: 1 }] });
    expect(await dau()).toEqual({ period_start: '2025-10-02', unique_users: 1 });
    // A range that starts and ends inside days: the event at 13:00 is in, then just out.
    expect((await overview('&from=2025-10-01T13:00:00Z&till=2025-10-02T13:00:00.001Z')).total_events).toBe(1);
    expect((await overview('&from=2025-10-02T13:00:00.001Z&till=2025-10-03T01:00:00Z')).unique_users).toBe(0);
    expect((await overview('&from=2025-10-01T13:00:00Z&till=2025-10-02T13:00:00Z')).unique_users).toBe(0);
  });
});

/** The local calendar date of an instant in a zone, by Intl (the test's own reading). */
const localDate = (zone: string, instant: string | number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
/** Distinct users with an event whose local date in `zone` is in [lo, hi] (inclusive dates). */
const localUsers = (zone: string, lo: string, hi: string, site?: string) =>
  new Set(
    EVENTS.filter((e) => e.user_id && (!site || e.site_id === site) && localDate(zone, e.timestamp) >= lo && localDate(zone, e.timestamp) <= hi).map((e) => e.user_id),
  ).size;

describe('time zones (tz)', () => {
  it('counts local days, ISO weeks, months and rolling windows of the zone, and names it', async () => {
    for (const zone of ['Asia/Kolkata', 'America/Los_Angeles', 'Asia/Kathmandu']) {
      const res = await t.http().get(`/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-08-12&tz=${zone}`);
      expect(res.status).toBe(200);
      const expected = [];
      for (let d = day('2025-07-31'); d <= day('2025-08-12'); d += DAY) expected.push({ period_start: iso(d), unique_users: localUsers(zone, iso(d), iso(d)) });
      expect(res.body).toEqual({ interval: 'day', tz: zone, rolling: null, data: expected });
    }
    // 2025-07-31T23:59:59.999Z is 2025-08-01 in Kolkata: user a is active on 1 August only there.
    const utc = await t.http().get('/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-07-31');
    const kolkata = await t.http().get('/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-07-31&tz=Asia/Kolkata');
    expect([utc.body.data[0].unique_users, kolkata.body.data[0].unique_users]).toEqual([1, 0]);

    const weeks = await t.http().get('/api/analytics/active-users?interval=week&from=2025-08-03&to=2025-08-11&tz=America/Los_Angeles');
    expect(weeks.body.data).toEqual([
      { period_start: '2025-07-28', unique_users: localUsers('America/Los_Angeles', '2025-08-03', '2025-08-03') },
      { period_start: '2025-08-04', unique_users: localUsers('America/Los_Angeles', '2025-08-04', '2025-08-10') },
      { period_start: '2025-08-11', unique_users: localUsers('America/Los_Angeles', '2025-08-11', '2025-08-11') },
    ]);
    const months = await t.http().get('/api/analytics/active-users?interval=month&from=2025-07-01&to=2025-09-30&site_id=s1&tz=Asia/Kolkata');
    expect(months.body.data).toEqual([
      { period_start: '2025-07-01', unique_users: localUsers('Asia/Kolkata', '2025-07-01', '2025-07-31', 's1') },
      { period_start: '2025-08-01', unique_users: localUsers('Asia/Kolkata', '2025-08-01', '2025-08-31', 's1') },
      { period_start: '2025-09-01', unique_users: localUsers('Asia/Kolkata', '2025-09-01', '2025-09-30', 's1') },
    ]);
    const rolling = await t.http().get('/api/analytics/active-users?interval=day&from=2025-08-08&to=2025-08-12&rolling=7&tz=Asia/Kathmandu');
    expect(rolling.body).toMatchObject({ tz: 'Asia/Kathmandu', rolling: 7 });
    expect(rolling.body.data).toEqual(
      [8, 9, 10, 11, 12].map((n) => {
        const d = `2025-08-${String(n).padStart(2, '0')}`;
        return { period_start: d, unique_users: localUsers('Asia/Kathmandu', iso(day(d) - 6 * DAY), d) };
      }),
    );
  });

  it('reads the overview\'s dates as local days of the zone, and says which instants and zone it used', async () => {
    // Kathmandu is UTC+05:45: its 4 August runs from 2025-08-03T18:15Z to 2025-08-04T18:15Z.
    const res = await t.http().get('/api/analytics/overview?from=2025-08-04&till=2025-08-05&tz=Asia/Kathmandu');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2025-08-03T18:15:00.000Z',
      till: '2025-08-04T18:15:00.000Z',
      tz: 'Asia/Kathmandu',
      site_id: null,
      ...expectedOverview('2025-08-03T18:15:00Z', '2025-08-04T18:15:00Z'),
    });
    // Instants stay instants whatever the zone; a date without tz is a UTC day.
    const instants = await t.http().get('/api/analytics/overview?from=2025-08-01T00:00:00Z&till=2025-08-21&tz=America/Los_Angeles');
    expect(instants.body).toMatchObject({ from: '2025-08-01T00:00:00.000Z', till: '2025-08-21T07:00:00.000Z', tz: 'America/Los_Angeles' });
    expect(instants.body.total_events).toBe(expectedOverview('2025-08-01T00:00:00Z', '2025-08-21T07:00:00Z').total_events);
    expect((await t.http().get('/api/analytics/overview?from=2025-08-04&till=2025-08-05')).body).toMatchObject({ from: '2025-08-04T00:00:00.000Z', tz: 'UTC' });
  });

  it('writes the zone back as Intl lists it', async () => {
    const res = await t.http().get('/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-01&tz=asia/jakarta');
    expect(res.body.tz).toBe('Asia/Jakarta');
  });

  it.each([
    ['an unknown zone', '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-02&tz=Mars/Olympus'],
    ['an offset instead of a zone', '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-02&tz=%2B05:30'],
    ['a zone given twice', '/api/analytics/active-users?interval=day&from=2025-08-01&to=2025-08-02&tz=UTC&tz=UTC'],
    ['an unknown zone on the overview', '/api/analytics/overview?tz=Europe/Atlantis'],
    ['an impossible local date on the overview', '/api/analytics/overview?from=2025-02-30&tz=UTC'],
  ])('answers 400 naming tz (or the bad field) for %s', async (why, url) => {
    const res = await t.http().get(url);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors).toEqual([{ path: why.includes('date') ? 'from' : 'tz', message: expect.any(String) }]);
  });

  it('uses DEFAULT_TZ when a request names no zone, on the native and the seed 000 routes', async () => {
    const other = await startTestApp({ DEFAULT_TZ: 'Asia/Kolkata' });
    try {
      const res = await other.http().get('/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-08-01');
      expect(res.body).toMatchObject({ tz: 'Asia/Kolkata', data: [{ period_start: '2025-07-31', unique_users: 0 }, { period_start: '2025-08-01', unique_users: localUsers('Asia/Kolkata', '2025-08-01', '2025-08-01') }] });
      expect((await other.http().get('/api/analytics/active-users?interval=day&from=2025-07-31&to=2025-07-31&tz=UTC')).body).toMatchObject({ tz: 'UTC', data: [{ unique_users: 1 }] });
      expect((await other.http().get('/api/analytics/overview?from=2025-08-04&till=2025-08-05')).body).toMatchObject({ from: '2025-08-03T18:30:00.000Z', tz: 'Asia/Kolkata' });
      expect((await other.http().get('/v1/user/uniques/daily?date=2025-08-01')).body).toEqual({ date: '2025-08-01', unique_users: 0, tz: 'Asia/Kolkata' });
    } finally {
      await other.close();
    }
  });
});
