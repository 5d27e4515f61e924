import { CommandBus } from '@nestjs/cqrs';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { uuidv7 } from '../../src/shared/uuid';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Retention cohorts (GET /api/analytics/retention), stickiness (active-users ratio=…) and the
 * overview's new and returning users, over HTTP: every parameter, the answers computed here
 * from the events sent, every validation failure naming its field, and the API key.
 */
let t: TestApp;

interface Sent {
  user: string;
  at: string;
  site?: string;
  action?: string;
}

// Weeks (Mondays): 2025-06-02, 06-09, 06-16, 06-23. `old` was seen in May; `late` is stored
// after the first answers with an event in May, which makes it not new any more.
const EVENTS: Sent[] = [
  { user: 'old', at: '2025-05-20T10:00:00Z' },
  { user: 'old', at: '2025-06-03T10:00:00Z' },
  { user: 'old', at: '2025-06-17T10:00:00Z' },
  { user: 'ann', at: '2025-06-02T00:00:00Z', action: 'login' },
  { user: 'ann', at: '2025-06-10T10:00:00Z' },
  { user: 'ann', at: '2025-06-24T10:00:00Z', action: 'login' },
  { user: 'bob', at: '2025-06-08T23:59:59.999Z', site: 's2' }, // Sunday: week 1 in UTC; Monday 06-09 in Kolkata (+05:30)
  { user: 'bob', at: '2025-06-09T12:00:00Z', site: 's2' },
  { user: 'cat', at: '2025-06-12T10:00:00Z', action: 'login' },
  { user: 'cat', at: '2025-06-16T10:00:00Z' },
  { user: 'dan', at: '2025-06-19T10:00:00Z' },
  { user: 'late', at: '2025-06-04T10:00:00Z' },
  { user: 'late', at: '2025-06-11T10:00:00Z' },
];
const LATE: Sent[] = [{ user: 'late', at: '2025-05-01T10:00:00Z' }];

async function send(events: Sent[]) {
  await t.app.get(TypeOrmEventRepository).insertNew(
    events.map((e) => ({
      id: uuidv7(), userId: e.user, action: e.action ?? 'page_view', occurredAt: new Date(e.at), receivedAt: new Date(), metadata: {}, siteId: e.site ?? 's1', path: null,
    })),
  );
}

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  await send(EVENTS);
});
afterAll(async () => {
  await t.close();
});

const get = (path: string) => t.http().get(path);
const cohort = (period_start: string, active: number[]) => ({
  period_start, users: active[0], active, fraction: active.map((n) => (active[0] === 0 ? null : n / active[0])),
});

describe('GET /api/analytics/retention', () => {
  it('answers weekly cohorts of new users by default, every following week up to till, with fractions', async () => {
    const res = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-30');
    expect(res.status).toBe(200);
    // Week 1 new: ann, bob, late (old was seen in May). Week 2 new: cat. Week 3 new: dan.
    expect(res.body).toEqual({
      period: 'week', mode: 'new', tz: 'UTC', site_id: null, action: null, from: '2025-06-02', till: '2025-06-30',
      cohorts: [
        cohort('2025-06-02', [3, 3, 0, 1]), // ann (wk 2, wk 4), bob (wk 2), late (wk 2)
        cohort('2025-06-09', [1, 1, 0]),
        cohort('2025-06-16', [1, 0]),
        cohort('2025-06-23', [0]),
      ],
    });
    expect(res.body.cohorts[0].fraction).toEqual([1, 1, 0, 1 / 3]);
    expect(res.body.cohorts[3].fraction).toEqual([null]);
  });

  it('answers returning cohorts (everyone active in the period), one site, logins, a time zone and months', async () => {
    const returning = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-30&mode=returning');
    expect(returning.body.mode).toBe('returning');
    expect(returning.body.cohorts.map((c: { active: number[] }) => c.active)).toEqual([[4, 3, 1, 1], [4, 1, 1], [3, 0], [1]]);

    const site = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-16&site_id=s2');
    expect(site.body).toMatchObject({ site_id: 's2', cohorts: [cohort('2025-06-02', [1, 1]), cohort('2025-06-09', [0])] });

    const logins = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-30&action=login');
    expect(logins.body).toMatchObject({ action: 'login', cohorts: [cohort('2025-06-02', [1, 0, 0, 1]), cohort('2025-06-09', [1, 0, 0]), cohort('2025-06-16', [0, 0]), cohort('2025-06-23', [0])] });

    // Kolkata: bob's first event is on Monday 06-09 there, so he is week 2's.
    const kolkata = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-16&tz=Asia/Kolkata');
    expect(kolkata.body).toMatchObject({ tz: 'Asia/Kolkata', cohorts: [cohort('2025-06-02', [2, 2]), cohort('2025-06-09', [2])] });

    const days = await get('/api/analytics/retention?period=day&from=2025-06-08&till=2025-06-11&tz=Asia/Kolkata&mode=returning');
    expect(days.body.cohorts).toEqual([cohort('2025-06-08', [0, 0, 0]), cohort('2025-06-09', [1, 0]), cohort('2025-06-10', [1])]);

    const months = await get('/api/analytics/retention?period=month&from=2025-05-01&till=2025-07-01');
    expect(months.body.cohorts).toEqual([cohort('2025-05-01', [1, 1]), cohort('2025-06-01', [5])]);
  });

  it('counts a user first seen through an event recorded late as not new any more', async () => {
    await send(LATE);
    const res = await get('/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-30');
    expect(res.body.cohorts[0]).toEqual(cohort('2025-06-02', [2, 2, 0, 1]));
    const months = await get('/api/analytics/retention?period=month&from=2025-05-01&till=2025-07-01');
    expect(months.body.cohorts).toEqual([cohort('2025-05-01', [2, 2]), cohort('2025-06-01', [4])]);
  });

  it('counts the last cohort whole when till is not a period start', async () => {
    const res = await get('/api/analytics/retention?period=week&from=2025-06-16&till=2025-06-18&mode=returning');
    expect(res.body.cohorts).toEqual([cohort('2025-06-16', [3])]);
  });

  it.each([
    ['period', 'from=2025-06-02&till=2025-06-30'],
    ['period', 'period=year&from=2025-06-02&till=2025-06-30'],
    ['from', 'period=week&till=2025-06-30'],
    ['from', 'period=week&from=2025-06-31&till=2025-07-30'],
    ['from', 'period=week&from=2025-06-03&till=2025-06-30'],
    ['from', 'period=month&from=2025-06-02&till=2025-09-01'],
    ['till', 'period=week&from=2025-06-02'],
    ['till', 'period=week&from=2025-06-02&till=2025-06-02'],
    ['till', 'period=week&from=2025-06-02&till=2025-05-02'],
    ['till', 'period=day&from=2024-01-01&till=2025-02-05'], // 401 days
    ['mode', 'period=week&from=2025-06-02&till=2025-06-30&mode=all'],
    ['tz', 'period=week&from=2025-06-02&till=2025-06-30&tz=Mars/Olympus'],
    ['action', 'period=week&from=2025-06-02&till=2025-06-30&action=click'],
    ['site_id', 'period=week&from=2025-06-02&till=2025-06-30&site_id=a&site_id=b'],
  ])('answers 400 naming %s (%s)', async (field, query) => {
    const res = await get(`/api/analytics/retention?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('answers 400 cohorts, the most allowed', async () => {
    const res = await get('/api/analytics/retention?period=day&from=2024-01-01&till=2025-02-04');
    expect(res.status).toBe(200);
    expect(res.body.cohorts).toHaveLength(400);
    expect(res.body.cohorts[399].active).toHaveLength(1);
    expect(res.body.cohorts[0].active).toHaveLength(400);
  });
});

describe('GET /api/analytics/active-users with ratio', () => {
  it('gives each day window_users (30 or 7 days ending that day) and unique_users / window_users', async () => {
    const mau = await get('/api/analytics/active-users?interval=day&from=2025-06-16&to=2025-06-17&ratio=dau_mau');
    expect(mau.status).toBe(200);
    // 30 days ending 06-16: old, ann, bob, cat, late (06-16: cat); ending 06-17: + old on 06-17.
    expect(mau.body).toEqual({
      interval: 'day', tz: 'UTC', rolling: null,
      data: [
        { period_start: '2025-06-16', unique_users: 1, window_users: 5, ratio: 0.2 },
        { period_start: '2025-06-17', unique_users: 1, window_users: 5, ratio: 0.2 },
      ],
    });
    const wau = await get('/api/analytics/active-users?interval=day&from=2025-06-16&to=2025-06-16&ratio=dau_wau&site_id=s1');
    // 7 days 06-10 … 06-16 on s1: ann, cat, late.
    expect(wau.body.data).toEqual([{ period_start: '2025-06-16', unique_users: 1, window_users: 3, ratio: 1 / 3 }]);
    const empty = await get('/api/analytics/active-users?interval=day&from=2025-08-30&to=2025-08-30&ratio=dau_wau');
    expect(empty.body.data).toEqual([{ period_start: '2025-08-30', unique_users: 0, window_users: 0, ratio: null }]);
    const kolkata = await get('/api/analytics/active-users?interval=day&from=2025-06-09&to=2025-06-09&ratio=dau_wau&tz=Asia/Kolkata');
    // Monday 06-09 in Kolkata: bob (both events); the 7 days 06-03 … 06-09 there: + old, late
    // (ann's 06-02T00:00Z is 05:30 on 06-02 there).
    expect(kolkata.body).toMatchObject({ tz: 'Asia/Kolkata', data: [{ period_start: '2025-06-09', unique_users: 1, window_users: 3, ratio: 1 / 3 }] });
  });

  it.each([
    'interval=week&from=2025-06-02&to=2025-06-30&ratio=dau_mau',
    'interval=day&from=2025-06-02&to=2025-06-30&ratio=dau_mau&rolling=7',
    'interval=day&from=2025-06-02&to=2025-06-30&ratio=mau',
  ])('answers 400 naming ratio (%s)', async (query) => {
    const res = await get(`/api/analytics/active-users?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['ratio']);
  });

  it('leaves the answer without ratio as it was', async () => {
    const res = await get('/api/analytics/active-users?interval=day&from=2025-06-16&to=2025-06-16');
    expect(res.body).toEqual({ interval: 'day', tz: 'UTC', rolling: null, data: [{ period_start: '2025-06-16', unique_users: 1 }] });
  });
});

describe('GET /api/analytics/overview: new and returning users', () => {
  it('splits the range\'s users into new (first event ever in the range) and returning; without from everyone is new', async () => {
    // Since the late event: old and late were seen in May.
    const june = await get('/api/analytics/overview?from=2025-06-01&till=2025-07-01');
    expect(june.body).toMatchObject({ unique_users: 6, new_users: 4, returning_users: 2 });
    const week3 = await get('/api/analytics/overview?from=2025-06-16&till=2025-06-23');
    expect(week3.body).toMatchObject({ unique_users: 3, new_users: 1, returning_users: 2 }); // dan new; old, cat returning
    const site = await get('/api/analytics/overview?from=2025-06-09&till=2025-06-16&site_id=s2');
    expect(site.body).toMatchObject({ unique_users: 1, new_users: 0, returning_users: 1 }); // bob, seen 06-08 on s2
    const kolkata = await get('/api/analytics/overview?from=2025-06-09&till=2025-06-16&site_id=s2&tz=Asia/Kolkata');
    expect(kolkata.body).toMatchObject({ unique_users: 1, new_users: 1, returning_users: 0 }); // 06-08T23:59Z is 06-09 there
    const instants = await get('/api/analytics/overview?from=2025-06-08T23:59:59.999Z&till=2025-06-09T00:00:00Z');
    expect(instants.body).toMatchObject({ unique_users: 1, new_users: 1, returning_users: 0 });
    const allTime = await get('/api/analytics/overview');
    expect(allTime.body).toMatchObject({ unique_users: 6, new_users: 6, returning_users: 0 });
  });
});

describe('API keys', () => {
  afterAll(async () => {
    await t.db.query('TRUNCATE api_keys');
  });

  it('guard the new route and parameters as the other analytics routes: read scope', async () => {
    const commands = t.app.get(CommandBus);
    const { secret: readKey } = await commands.execute(new CreateApiKeyCommand('retention-read', 'read'));
    const { secret: writeKey } = await commands.execute(new CreateApiKeyCommand('retention-write', 'write'));
    const paths = [
      '/api/analytics/retention?period=week&from=2025-06-02&till=2025-06-30',
      '/api/analytics/active-users?interval=day&from=2025-06-16&to=2025-06-16&ratio=dau_mau',
      '/api/analytics/overview?from=2025-06-01',
    ];
    for (let i = 0; i < 100 && (await get(paths[0])).status !== 401; i++) await new Promise((r) => setTimeout(r, 200));
    for (const path of paths) {
      expect((await get(path)).status).toBe(401);
      expect((await get(path).set('X-API-Key', writeKey)).status).toBe(403);
      expect((await get(path).set('Authorization', `Bearer ${readKey}`)).status).toBe(200);
    }
  });
});
