import { parse } from 'csv-parse/sync';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The analytics answers as files (format=csv|ndjson, or the Accept header): every figure of
 * the JSON answer, and nothing else, in the documented rows; JSON stays the default.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  const events = [
    ['ann', '2025-06-02T10:00:00Z', 's1', 'page_view', '/a'],
    ['ann', '2025-06-03T10:00:00Z', 's1', 'login', null],
    ['bob', '2025-06-03T23:30:00Z', 's2', 'page_view', '=cmd'],
    ['=x', '2025-06-04T10:00:00Z', null, 'page_view', '/a'],
    ['cat', '2025-06-09T10:00:00Z', 's1', 'click', null],
    ['ann', '2025-06-10T10:00:00Z', 's1', 'page_view', '/b'],
  ].map(([user, at, site, action, path], i) => ({
    event_id: `0195f3c2-6b1e-7cc0-9a51-0000000000${String(i).padStart(2, '0')}`,
    user_id: user,
    timestamp: at,
    action,
    ...(site ? { site_id: site } : {}),
    ...(path ? { path } : {}),
  }));
  const res = await t.http().post('/api/events/batch').send({ events });
  expect(res.body.created).toBe(events.length);
});
afterAll(() => t.close());

async function json(path: string) {
  const res = await t.http().get(path);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.body;
}

async function csv(path: string, accept?: string) {
  const req = t.http().get(path);
  const res = await (accept ? req.set('Accept', accept) : req);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
  expect(res.text.endsWith('\r\n')).toBe(true);
  return { records: parse(res.text) as string[][], disposition: res.headers['content-disposition'] as string };
}

async function ndjson(path: string) {
  const res = await t.http().get(path);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
  return res.text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

const num = (cell: string) => (cell === '' ? null : Number(cell));

describe('analytics answers as files', () => {
  it('active-users: a row per period, with the stickiness columns when asked', async () => {
    const q = 'interval=day&from=2025-06-01&to=2025-06-10&tz=Asia/Kolkata&ratio=dau_wau';
    const answer = await json(`/api/analytics/active-users?${q}`);
    const { records, disposition } = await csv(`/api/analytics/active-users?${q}&format=csv`);
    expect(disposition).toBe('attachment; filename="active-users_day_dau_wau_2025-06-01_2025-06-10_Asia-Kolkata.csv"');
    expect(records[0]).toEqual(['period_start', 'unique_users', 'window_users', 'ratio']);
    expect(records.slice(1).map(([d, u, w, r]) => ({ period_start: d, unique_users: num(u), window_users: num(w), ratio: num(r) }))).toEqual(answer.data);
    expect(answer.data.some((p: { unique_users: number }) => p.unique_users > 0)).toBe(true);
    // The Accept header asks for the same file; without ratio, two columns.
    const plain = await csv('/api/analytics/active-users?interval=week&from=2025-06-01&to=2025-06-15', 'text/csv');
    expect(plain.records[0]).toEqual(['period_start', 'unique_users']);
    const weeks = await json('/api/analytics/active-users?interval=week&from=2025-06-01&to=2025-06-15');
    expect(plain.records.slice(1).map(([d, u]) => ({ period_start: d, unique_users: Number(u) }))).toEqual(weeks.data);
    expect(await ndjson(`/api/analytics/active-users?${q}&format=ndjson`)).toEqual(answer.data);
  });

  it('overview: one row per figure, formula cells neutralised', async () => {
    const q = 'from=2025-06-01&till=2025-06-11';
    const answer = await json(`/api/analytics/overview?${q}`);
    const { records, disposition } = await csv(`/api/analytics/overview?${q}&format=csv`);
    expect(disposition).toBe('attachment; filename="overview_from-2025-06-01_till-2025-06-11_UTC.csv"');
    expect(records[0]).toEqual(['section', 'key', 'value']);
    const rows = records.slice(1);
    const value = (section: string, key = '') => rows.filter((r) => r[0] === section && r[1] === key).map((r) => Number(r[2]));
    for (const total of ['total_events', 'unique_users', 'new_users', 'returning_users', 'page_views']) {
      expect(value(total)).toEqual([answer[total]]);
    }
    for (const [action, n] of Object.entries(answer.events_by_action)) expect(value('events_by_action', action)).toEqual([n]);
    for (const p of answer.top_paths) expect(value('top_paths', p.path.startsWith('=') ? `'${p.path}` : p.path)).toEqual([p.views]);
    expect(rows.map((r) => r[1])).toContain(`'=cmd`);
    for (const site of answer.sites) {
      expect(value('site_events', site.site_id ?? '')).toEqual([site.events]);
      expect(value('site_unique_users', site.site_id ?? '')).toEqual([site.unique_users]);
      expect(value('site_page_views', site.site_id ?? '')).toEqual([site.page_views]);
    }
    const figures = 5 + Object.keys(answer.events_by_action).length + answer.top_paths.length + 3 * answer.sites.length;
    expect(rows).toHaveLength(figures);
    expect(answer.sites.length).toBe(3);
  });

  it('retention: a row per cohort and offset', async () => {
    const q = 'period=week&from=2025-06-02&till=2025-06-16';
    const answer = await json(`/api/analytics/retention?${q}`);
    const { records } = await csv(`/api/analytics/retention?${q}&format=csv`);
    expect(records[0]).toEqual(['cohort_start', 'users', 'offset', 'active', 'fraction']);
    const expected = answer.cohorts.flatMap((c: { period_start: string; users: number; active: number[]; fraction: Array<number | null> }) =>
      c.active.map((active, offset) => [c.period_start, String(c.users), String(offset), String(active), c.fraction[offset] === null ? '' : String(c.fraction[offset])]),
    );
    expect(records.slice(1)).toEqual(expected);
    expect(expected.length).toBe(3);
  });

  it('keeps JSON the default and refuses an unknown format, naming it', async () => {
    await json('/api/analytics/overview');
    await json('/api/analytics/overview?format=json');
    const browserLike = await t.http().get('/api/analytics/overview').set('Accept', 'application/json, text/csv;q=0.5');
    expect(browserLike.headers['content-type']).toMatch(/^application\/json/);
    const bad = await t.http().get('/api/analytics/overview?format=xlsx');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('"format"');
  });
});
