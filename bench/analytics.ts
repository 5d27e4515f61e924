import 'reflect-metadata';
import { ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { ANALYTICS_ROLLUP_PROJECTION } from '../src/analytics/adapters/persistence/rollups.projection';
import { WINDOW_MARKING_PROJECTION } from '../src/metrics/adapters/persistence/window-marking.projection';
import { EventWriteProjection, EventWriteProjections } from '../src/tracking/application/event-write-projections';
import { LIVE_NOTIFY_PROJECTION } from '../src/tracking/adapters/persistence/live-notify.projection';
import { TypeOrmEventRepository } from '../src/tracking/adapters/persistence/typeorm-event.repository';
import { EventOrmEntity } from '../src/tracking/adapters/persistence/event.orm-entity';
import { TrackedEvent } from '../src/tracking/domain/tracked-event';
import { checkRollups, DAYS, EVENTS, loadDataSet, LoadTimes, migrateTo, OLD_SCHEMA, START, USERS } from './data-set';
import { benchDatabase, copyDatabase, freePort, median, percentile, startService, timed } from './support';

/**
 * npm run bench:analytics — the analytics routes at scale, against the raw scans they replace.
 *
 * Loads EVENTS (default 5,000,000) events over 90 days (bench/data-set.ts: generated inside
 * PostgreSQL, deterministic, loaded through the previous schema and upgraded as a deployment
 * is, the rollups computed by the migrations' backfill): 200,000 distinct users with a
 * power-law activity, 20 actions (half page views), 3 sites of unequal size, 300 paths
 * (skewed), 5% anonymous events, a day/night curve. Checks the rollups against the events.
 * Then, in the same run, for each route: its latency through the running service (HTTP,
 * p50/p95 of RUNS calls) next to the raw COUNT(DISTINCT …) query it replaces (the read model
 * before the rollups), and the cost of maintaining the rollups on the write path (the
 * repository's batch writes with the service's write projections, with and without the
 * rollups' CTEs).
 *
 * COMPARE=other/dist/src/main.js: an A/B of the routes against another build that runs on the
 * previous release's schema (5ed252c, migrations up to 1763700004000). The data set is loaded
 * once at that schema, the database copied (CREATE DATABASE … TEMPLATE) for the other build,
 * and the copy kept at the old schema while this build's database is upgraded: both hold the
 * identical events and rollups. Each route's calls alternate between the two builds (ROUNDS
 * passes over every route, default 2), and the table gives p50/p95 of each and new/old. The
 * raw scans and the write cost are skipped (RAW=1 keeps the raw scans).
 * ONLY=regex limits the routes to those whose name matches. TZ_ONLY=1: only the time-zone block
 * (each tz route next to the same route in UTC); TZ_ROUTES=0 leaves it out. WRITE_ONLY=1: only
 * the write cost (WRITE_VARIANTS=all,none,… picks variants). BENCH_REUSE_URL=postgres://…: run on a
 * database an earlier LOAD_ONLY=1 BENCH_KEEP=1 run loaded (pending migrations are applied).
 * LOAD_ONLY=1 BENCH_KEEP=1 only loads the data set and leaves its database running.
 */
const RUNS = Number(process.env.RUNS ?? 50);
const COMPARE = process.env.COMPARE ? resolve(process.env.COMPARE) : null;
const ROUNDS = Number(process.env.ROUNDS ?? (COMPARE ? 2 : 1));
const RAW = !COMPARE || Boolean(process.env.RAW);
const RAW_BUDGET_MS = 20_000;

const day = (n: number) => new Date(START + n * 86_400_000).toISOString().slice(0, 10);
const D = 75; // "today": a day late in the data, with 74 days behind it
const MONTH = '2025-07';

/** The read model before the rollups: the raw scans each route replaces. */
const raw = {
  uniqueUsers: (db: DataSource, periods: Array<[string, string]>, siteId: string | null = null, action: string | null = null) =>
    db.query(
      `SELECT p.i, count(DISTINCT e.user_id)::int AS n
       FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS p(lo, hi, i)
       LEFT JOIN events e ON e.occurred_at >= p.lo AND e.occurred_at < p.hi AND e.user_id IS NOT NULL
                         AND ($3::text IS NULL OR e.site_id = $3) AND ($4::text IS NULL OR e.action = $4)
       GROUP BY p.i ORDER BY p.i`,
      [periods.map((p) => p[0]), periods.map((p) => p[1]), siteId, action],
    ),
  overview: async (db: DataSource, from: string | null, till: string | null, siteId: string | null = null, top = 10) => {
    const params = [from, till, siteId];
    const where = `($1::timestamptz IS NULL OR occurred_at >= $1) AND ($2::timestamptz IS NULL OR occurred_at < $2)
                   AND ($3::text IS NULL OR site_id = $3)`;
    await db.query(
      `SELECT count(*)::int, count(DISTINCT user_id)::int, count(*) FILTER (WHERE action = 'page_view')::int FROM events WHERE ${where}`,
      params,
    );
    await db.query(`SELECT action, count(*)::int FROM events WHERE ${where} GROUP BY action`, params);
    await db.query(
      `SELECT path, count(*)::int AS views FROM events WHERE ${where} AND action = 'page_view' AND path IS NOT NULL
       GROUP BY path ORDER BY views DESC, path COLLATE "C" LIMIT $4`,
      [...params, top],
    );
  },
};

const days = (from: number, to: number, rolling = 1): Array<[string, string]> =>
  Array.from({ length: to - from + 1 }, (_, i) => [`${day(from + i + 1 - rolling)}T00:00:00Z`, `${day(from + i + 1)}T00:00:00Z`]);

interface Case {
  name: string;
  span: 'day' | '30 days' | '12 weeks' | 'month' | 'all time';
  path: string;
  raw: (db: DataSource) => Promise<unknown>;
}

const CASES: Case[] = [
  { name: 'active-users, day', span: 'day', path: `/api/analytics/active-users?interval=day&from=${day(D)}&to=${day(D)}`, raw: (db) => raw.uniqueUsers(db, days(D, D)) },
  {
    name: 'active-users, rolling=30 (MAU of a day)',
    span: 'day',
    path: `/api/analytics/active-users?interval=day&from=${day(D)}&to=${day(D)}&rolling=30`,
    raw: (db) => raw.uniqueUsers(db, days(D, D, 30)),
  },
  {
    name: 'active-users, 30 days of DAU',
    span: '30 days',
    path: `/api/analytics/active-users?interval=day&from=${day(D - 29)}&to=${day(D)}`,
    raw: (db) => raw.uniqueUsers(db, days(D - 29, D)),
  },
  {
    name: 'active-users, 30 days of weeks, site-a',
    span: '30 days',
    path: `/api/analytics/active-users?interval=week&from=${day(D - 29)}&to=${day(D)}&site_id=site-a`,
    raw: (db) => {
      const weeks: Array<[string, string]> = [];
      const from = Date.parse(`${day(D - 29)}T00:00:00Z`);
      const end = Date.parse(`${day(D + 1)}T00:00:00Z`);
      let start = from - ((new Date(from).getUTCDay() + 6) % 7) * 86_400_000;
      for (; start < end; start += 7 * 86_400_000) {
        weeks.push([new Date(Math.max(start, from)).toISOString(), new Date(Math.min(start + 7 * 86_400_000, end)).toISOString()]);
      }
      return raw.uniqueUsers(db, weeks, 'site-a');
    },
  },
  {
    name: 'active-users, rolling=30 for 30 days (MAU per day)',
    span: '30 days',
    path: `/api/analytics/active-users?interval=day&from=${day(D - 29)}&to=${day(D)}&rolling=30`,
    raw: (db) => raw.uniqueUsers(db, days(D - 29, D, 30)),
  },
  {
    name: 'active-users, month',
    span: 'month',
    path: `/api/analytics/active-users?interval=month&from=${MONTH}-01&to=${MONTH}-31`,
    raw: (db) => raw.uniqueUsers(db, [[`${MONTH}-01T00:00:00Z`, '2025-08-01T00:00:00Z']]),
  },
  {
    name: 'overview, day',
    span: 'day',
    path: `/api/analytics/overview?from=${day(D)}T00:00:00Z&till=${day(D + 1)}T00:00:00Z`,
    raw: (db) => raw.overview(db, `${day(D)}T00:00:00Z`, `${day(D + 1)}T00:00:00Z`),
  },
  {
    name: 'overview, 30 days',
    span: '30 days',
    path: `/api/analytics/overview?from=${day(D - 29)}T00:00:00Z&till=${day(D + 1)}T00:00:00Z`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T00:00:00Z`, `${day(D + 1)}T00:00:00Z`),
  },
  {
    name: 'overview, 30 days, site-b',
    span: '30 days',
    path: `/api/analytics/overview?from=${day(D - 29)}T00:00:00Z&till=${day(D + 1)}T00:00:00Z&site_id=site-b`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T00:00:00Z`, `${day(D + 1)}T00:00:00Z`, 'site-b'),
  },
  {
    name: 'overview, 30 days from 03:00 to 03:00 (partial edges)',
    span: '30 days',
    path: `/api/analytics/overview?from=${day(D - 29)}T03:00:00Z&till=${day(D + 1)}T03:00:00Z`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T03:00:00Z`, `${day(D + 1)}T03:00:00Z`),
  },
  {
    name: 'overview, 30 days from 14:00 to 14:00 (busy edges)',
    span: '30 days',
    path: `/api/analytics/overview?from=${day(D - 29)}T14:00:00Z&till=${day(D + 1)}T14:00:00Z`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T14:00:00Z`, `${day(D + 1)}T14:00:00Z`),
  },
  { name: 'overview, all time', span: 'all time', path: `/api/analytics/overview`, raw: (db) => raw.overview(db, null, null) },
  {
    name: 'compat 000 /v1/user/uniques/daily',
    span: 'day',
    path: `/v1/user/uniques/daily?date=${day(D)}`,
    raw: (db) => raw.uniqueUsers(db, days(D, D), null, 'login'),
  },
  {
    name: 'compat 000 /v1/user/uniques/monthly',
    span: 'month',
    path: `/v1/user/uniques/monthly?month=${MONTH}`,
    raw: (db) => raw.uniqueUsers(db, [[`${MONTH}-01T00:00:00Z`, '2025-08-01T00:00:00Z']], null, 'login'),
  },
  {
    name: 'compat 001 /api/reporting/stats, day',
    span: 'day',
    path: `/api/reporting/stats?site_id=site-a&date=${day(D)}`,
    raw: (db) => raw.overview(db, `${day(D)}T00:00:00Z`, `${day(D + 1)}T00:00:00Z`, 'site-a', 3),
  },
  {
    name: 'compat 002 /api/analytics/summary, 30 days',
    span: '30 days',
    path: `/api/analytics/summary?from=${day(D - 29)}T00:00:00.000Z&to=${day(D)}T23:59:59.999Z`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T00:00:00Z`, `${day(D + 1)}T00:00:00Z`),
  },
  { name: 'compat 004 /stats, all time', span: 'all time', path: `/stats?site_id=site-c`, raw: (db) => raw.overview(db, null, null, 'site-c', 3) },
];

// ---- Retention and stickiness (issue 15 items 2 and 3; branch retention) ----------------------
/**
 * The raw scan a retention matrix replaces: each user's first event ever (mode new), each
 * user's active periods in the range, the pairs counted. Periods are local dates of `tz`
 * counted from `from` (`size` days each: 1 or 7; `till` a period start), as PostgreSQL's own zone conversion gives them.
 */
const rawRetention = (db: DataSource, tz: string, from: string, till: string, size: number, mode: 'new' | 'returning') =>
  db.query(
    `WITH activity AS (
       SELECT DISTINCT user_id, ((occurred_at AT TIME ZONE $1)::date - $2::date) / $4 AS k
       FROM events WHERE user_id IS NOT NULL
         AND occurred_at >= ($2::date::timestamp AT TIME ZONE $1) AND occurred_at < ($3::date::timestamp AT TIME ZONE $1)),
     firsts AS (SELECT user_id, min(occurred_at) AS first FROM events WHERE user_id IS NOT NULL AND $5 GROUP BY user_id),
     cohorts AS (
       SELECT a.user_id, a.k FROM activity a LEFT JOIN firsts f USING (user_id)
       WHERE NOT $5 OR (f.first >= ($2::date::timestamp AT TIME ZONE $1) AND ((f.first AT TIME ZONE $1)::date - $2::date) / $4 = a.k))
     SELECT c.k AS cohort, a.k, count(*)::int AS n FROM cohorts c JOIN activity a USING (user_id) WHERE a.k >= c.k GROUP BY 1, 2`,
    [tz, from, till, size, mode === 'new'],
  );
const RETENTION_CASES: Case[] = [
  {
    name: 'retention, 12 weeks, weekly, new',
    span: '12 weeks',
    path: '/api/analytics/retention?period=week&from=2025-06-02&till=2025-08-25',
    raw: (db) => rawRetention(db, 'UTC', '2025-06-02', '2025-08-25', 7, 'new'),
  },
  {
    name: 'retention, 30 days, daily, new',
    span: '30 days',
    path: '/api/analytics/retention?period=day&from=2025-07-27&till=2025-08-26',
    raw: (db) => rawRetention(db, 'UTC', '2025-07-27', '2025-08-26', 1, 'new'),
  },
  {
    name: 'retention, 30 days, daily, new, tz=Asia/Kolkata',
    span: '30 days',
    path: '/api/analytics/retention?period=day&from=2025-07-27&till=2025-08-26&tz=Asia/Kolkata',
    raw: (db) => rawRetention(db, 'Asia/Kolkata', '2025-07-27', '2025-08-26', 1, 'new'),
  },
  {
    name: 'retention, 30 days, daily, returning',
    span: '30 days',
    path: '/api/analytics/retention?period=day&from=2025-07-27&till=2025-08-26&mode=returning',
    raw: (db) => rawRetention(db, 'UTC', '2025-07-27', '2025-08-26', 1, 'returning'),
  },
  {
    name: 'stickiness, ratio=dau_mau for 30 days',
    span: '30 days',
    path: `/api/analytics/active-users?interval=day&from=${day(D - 29)}&to=${day(D)}&ratio=dau_mau`,
    raw: (db) => raw.uniqueUsers(db, [...days(D - 29, D), ...days(D - 29, D, 30)]),
  },
  {
    name: 'overview, 30 days, tz=Asia/Kolkata (with new/returning)',
    span: '30 days',
    path: `/api/analytics/overview?from=${day(D - 29)}&till=${day(D + 1)}&tz=Asia/Kolkata`,
    raw: (db) => raw.overview(db, `${day(D - 29)}T00:00:00+05:30`, `${day(D + 1)}T00:00:00+05:30`),
  },
];
CASES.push(...RETENTION_CASES);
// ---- end of retention and stickiness ------------------------------------------------------------

// ---- Time zones (issue 15): each tz route measured in the same run as the same route in UTC ----

/** A route with `tz` and the same question in UTC (no tz), measured alternately in one run. */
interface TzCase {
  name: string;
  span: 'day' | '30 days' | 'month';
  tz: string;
  utc: string;
}

const withTz = (path: string, tz: string) => `${path}&tz=${encodeURIComponent(tz)}`;
const tzActive = (from: number, to: number, extra = '') => `/api/analytics/active-users?interval=day&from=${day(from)}&to=${day(to)}${extra}`;

const TZ_CASES: TzCase[] = [
  ...['Asia/Jakarta', 'Asia/Kolkata', 'America/Los_Angeles'].map((tz): TzCase => ({
    name: `tz active-users, day, ${tz}`, span: 'day', tz: withTz(tzActive(D, D), tz), utc: tzActive(D, D),
  })),
  ...['Asia/Jakarta', 'Asia/Kolkata', 'America/Los_Angeles'].map((tz): TzCase => ({
    name: `tz active-users, 30 days of DAU, ${tz}`, span: '30 days', tz: withTz(tzActive(D - 29, D), tz), utc: tzActive(D - 29, D),
  })),
  {
    name: 'tz active-users, rolling=30 (MAU of a day), Asia/Jakarta', span: 'day',
    tz: withTz(tzActive(D, D, '&rolling=30'), 'Asia/Jakarta'), utc: tzActive(D, D, '&rolling=30'),
  },
  {
    name: 'tz active-users, month, America/Los_Angeles', span: 'month',
    tz: withTz(`/api/analytics/active-users?interval=month&from=${MONTH}-01&to=${MONTH}-31`, 'America/Los_Angeles'),
    utc: `/api/analytics/active-users?interval=month&from=${MONTH}-01&to=${MONTH}-31`,
  },
  {
    name: 'tz overview, day, Asia/Kolkata', span: 'day',
    tz: withTz(`/api/analytics/overview?from=${day(D)}&till=${day(D + 1)}`, 'Asia/Kolkata'), utc: `/api/analytics/overview?from=${day(D)}&till=${day(D + 1)}`,
  },
  {
    name: 'tz overview, 30 days, America/Los_Angeles', span: '30 days',
    tz: withTz(`/api/analytics/overview?from=${day(D - 29)}&till=${day(D + 1)}`, 'America/Los_Angeles'),
    utc: `/api/analytics/overview?from=${day(D - 29)}&till=${day(D + 1)}`,
  },
  {
    name: 'tz compat 000 /v1/user/uniques/daily, Asia/Jakarta', span: 'day',
    tz: withTz(`/v1/user/uniques/daily?date=${day(D)}`, 'Asia/Jakarta'), utc: `/v1/user/uniques/daily?date=${day(D)}`,
  },
];

/** TZ_ROUTES=0 leaves the time-zone block out; TZ_ONLY=1 runs only it (with ONLY=regex to narrow it further). */
const TZ_SELECTED = process.env.TZ_ROUTES === '0' ? [] : TZ_CASES.filter((c) => !process.env.ONLY || new RegExp(process.env.ONLY, 'i').test(c.name));
const TZ_RATIO_TARGET = 1.5;

/**
 * Each tz route next to the same route in UTC: RUNS calls of each, alternating (which goes
 * first alternates too), after 5 warm-up calls of each, so a slow moment of the shared machine
 * falls on both alike. Prints p50/p95 of each, the p95 ratio tz/UTC (the issue's target: ≤ 1.5×,
 * and < 50 ms for a day, < 200 ms for 30 days or a month) and the median of the paired ratios.
 */
async function timeZoneRoutes(base: string): Promise<void> {
  if (TZ_SELECTED.length === 0) return;
  console.log(`
time zones (issue 15): each tz route and the same route in UTC, ${RUNS} alternating calls each, load average ${loadAverage()}:\n`);
  console.log('| route | range | tz p50 ms | tz p95 ms | UTC p50 ms | UTC p95 ms | p95 tz/UTC | paired tz/UTC (median) | target p95 |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const misses: string[] = [];
  for (const c of TZ_SELECTED) {
    for (let i = 0; i < 5; i++) {
      await route(base, c.tz);
      await route(base, c.utc);
    }
    const tz: number[] = [];
    const utc: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        tz.push(await route(base, c.tz));
        utc.push(await route(base, c.utc));
      } else {
        utc.push(await route(base, c.utc));
        tz.push(await route(base, c.tz));
      }
    }
    const [p95, utcP95] = [percentile(tz, 95), percentile(utc, 95)];
    const ratio = p95 / utcP95;
    const paired = median(tz.map((ms, i) => ms / utc[i]));
    const target = TARGET[c.span]!;
    if (p95 > target) misses.push(`${c.name}: p95 ${p95.toFixed(1)} ms > ${target} ms`);
    if (ratio > TZ_RATIO_TARGET) misses.push(`${c.name}: p95 ${ratio.toFixed(2)}× UTC > ${TZ_RATIO_TARGET}×`);
    console.log(
      `| ${c.name} | ${c.span} | ${median(tz).toFixed(1)} | ${p95.toFixed(1)} | ${median(utc).toFixed(1)} | ${utcP95.toFixed(1)} | ` +
        `${ratio.toFixed(2)} | ${paired.toFixed(2)} | < ${target}, ≤ ${TZ_RATIO_TARGET}× UTC |`,
    );
  }
  console.log(misses.length === 0 ? '\nevery time-zone target met' : `\ntime-zone targets missed:\n- ${misses.join('\n- ')}`);
}

// ---- end of the time-zone block ----

/** ONLY=regex: only the routes whose name matches (e.g. to repeat a suspicious one with more calls). */
const SELECTED = process.env.TZ_ONLY ? [] : process.env.ONLY ? CASES.filter((c) => new RegExp(process.env.ONLY!, 'i').test(c.name)) : CASES;

const TARGET: Record<Case['span'], number | null> = { day: 50, '30 days': 200, '12 weeks': 200, month: 200, 'all time': null };

/**
 * Events/s of batch writes through the repository with the service's write projections (window
 * ledger, live-feed NOTIFY, rollups), against the same writes without the rollups' CTEs,
 * interleaved. The rollups are no trigger any more (1763700005000): the toggle is the set of
 * projections the statement is built with, as the service registers them.
 */
async function writeCost(db: DataSource): Promise<Array<{ batch: number; iterations: number; rates: Map<string, number> }>> {
  const repository = (rollups: EventWriteProjection | null) => {
    const projections = new EventWriteProjections();
    projections.register(LIVE_NOTIFY_PROJECTION);
    projections.register(WINDOW_MARKING_PROJECTION);
    if (rollups) projections.register(rollups);
    return new TypeOrmEventRepository(db.getRepository(EventOrmEntity), projections);
  };
  const repos = new Map(WRITE_VARIANTS.map((v) => [v.name, repository(v.projection)]));
  let n = 0;
  const make = (size: number): TrackedEvent[] =>
    Array.from({ length: size }, () => {
      n++;
      const u = Math.floor(USERS * Math.random() ** 3);
      return {
        id: crypto.randomUUID(),
        userId: `user-${u}`,
        action: n % 2 ? 'page_view' : 'click',
        occurredAt: WRITE_LIVE
          ? new Date(START + DAYS * 86_400_000 + n * LIVE_STEP_MS)
          : new Date(START + (D + 1) * 86_400_000 + (n % 86_400) * 1000),
        receivedAt: new Date(),
        metadata: {},
        siteId: ['site-a', 'site-b', 'site-c'][n % 3],
        path: `/p/${n % 300}`,
      };
    });
  // One batch of each variant in turn (the order rotating), one writer: the variants share every
  // moment of the shared machine's load; the median time per batch of each is compared.
  const results = [];
  for (const size of [100, 1000]) {
    const samples = new Map<string, number[]>(WRITE_VARIANTS.map((v) => [v.name, []]));
    const iterations = Math.ceil(WRITE_SECONDS / (size === 100 ? 0.03 : 0.15) / WRITE_VARIANTS.length);
    for (let k = 0; k < iterations; k++) {
      for (let j = 0; j < WRITE_VARIANTS.length; j++) {
        const v = WRITE_VARIANTS[(j + k) % WRITE_VARIANTS.length];
        const batch = make(size);
        const started = process.hrtime.bigint();
        await repos.get(v.name)!.insertNew(batch);
        if (k > 0) samples.get(v.name)!.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    results.push({ batch: size, iterations, rates: new Map([...samples].map(([name, ms]) => [name, (1000 * size) / median(ms)])) });
  }
  return results;
}

/**
 * The rollup CTEs added for issue 15: the hourly tier, the quarter-hour user ids, the six-hour
 * user sets (time zones) and the monthly user sets ("seen before": new users).
 */
const TZ_CTES = [
  'rollup_hourly_user_sets', 'rollup_hourly_users', 'rollup_hourly_actions', 'rollup_hourly_paths', 'rollup_quarter_user_ids', 'rollup_six_hour_users',
  'rollup_monthly_users',
];
/**
 * A CTE that reads another's RETURNING goes with it: the six-hour sets are made from the hourly
 * rows over all sites, the months from the days, those and the hours over all sites from the
 * hourly rows per site — so without the hourly sets per site no user set but the quarter-hour
 * ids would be kept (no such variant: `before tz` is the write without them).
 */
const DEPENDENTS: Record<string, string[]> = {
  rollup_hourly_users: ['rollup_six_hour_users'],
  rollup_user_sets: ['rollup_monthly_users'],
  rollup_hourly_user_sets: ['rollup_user_sets', 'rollup_monthly_users', 'rollup_hourly_users', 'rollup_six_hour_users'],
};
const without = (names: string[]): EventWriteProjection => ({
  ...ANALYTICS_ROLLUP_PROJECTION,
  before: ANALYTICS_ROLLUP_PROJECTION.before!.filter(([name]) => !names.flatMap((n) => [n, ...(DEPENDENTS[n] ?? [])]).includes(name)),
});
/**
 * The write variants: the statement with every rollup CTE, the write before time zones (the
 * budget is 30% over it), another build's (WRITE_COMPARE), without each issue-15 CTE alone (what
 * each costs, with the CTEs made from it), and without any rollup. WRITE_VARIANTS=all,none,…
 * picks some by name.
 */
/**
 * The rollups' write as it was before time zones (65fe73d without its hourly CTEs): the daily
 * user sets from the batch's distinct (day, site, action, user) and their ids, the daily
 * counters. The budget of issue 15: the write with every time-zone tier ≤ 130% of this one.
 */
const BEFORE_TZ: EventWriteProjection = {
  ...ANALYTICS_ROLLUP_PROJECTION,
  before: [
    ...ANALYTICS_ROLLUP_PROJECTION.before!.filter(([name]) => ['rollup_batch_users', 'rollup_known_users', 'rollup_added_users', 'rollup_actions'].includes(name)),
    [
      'rollup_user_sets',
      `INSERT INTO analytics_user_sets AS s (day, site_id, action, chunk, bits)
       SELECT m.day, m.site_id, m.action, ids.uid >> 12, bit_or(B'1'::bit(4096) >> (ids.uid & 4095))
       FROM (SELECT DISTINCT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.site_id, a.action, e.user_id
             FROM inserted e
             CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
             WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
       JOIN (SELECT user_id, uid FROM rollup_known_users UNION ALL SELECT user_id, uid FROM rollup_added_users) ids
         ON ids.user_id = m.user_id
       GROUP BY 1, 2, 3, 4 ORDER BY 3, 2, 1, 4
       ON CONFLICT (action, site_id, day, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
       WHERE (s.bits | EXCLUDED.bits) <> s.bits
       RETURNING 1`,
    ],
  ],
};

const ALL_WRITE_VARIANTS: Array<{ name: string; projection: EventWriteProjection | null }> = [
  { name: 'all', projection: ANALYTICS_ROLLUP_PROJECTION },
  { name: 'before tz', projection: BEFORE_TZ },
  // WRITE_COMPARE=other/dist/src/analytics/adapters/persistence/rollups.projection.js: that build's rollups too
  ...(process.env.WRITE_COMPARE ? [{ name: 'compare', projection: require(resolve(process.env.WRITE_COMPARE)).ANALYTICS_ROLLUP_PROJECTION }] : []),
  ...TZ_CTES.filter((cte) => cte !== 'rollup_hourly_user_sets').map((cte) => ({ name: `no ${[cte, ...(DEPENDENTS[cte] ?? [])].map((c) => c.replace('rollup_', '')).join('+')}`, projection: without([cte]) })),
  { name: 'none', projection: null },
];
const WRITE_VARIANTS = process.env.WRITE_VARIANTS
  ? ALL_WRITE_VARIANTS.filter((v) => process.env.WRITE_VARIANTS!.split(',').includes(v.name))
  : ALL_WRITE_VARIANTS;
/**
 * WRITE_LIVE=1: the written events' times move forward from the end of the data set at its own
 * pace (EVENTS / DAYS a day), as live traffic does, so every quarter hour and hour holds about
 * as many users as the data set's; by default each batch's seconds cycle over day D+1, whose
 * rollup rows then hold ever more users as the run (and every earlier run on a kept database)
 * writes into them.
 */
const WRITE_LIVE = Boolean(process.env.WRITE_LIVE);
const LIVE_STEP_MS = (DAYS * 86_400_000) / EVENTS;
/** WRITE_SECONDS: about how long each batch size is measured (default 60). */
const WRITE_SECONDS = Number(process.env.WRITE_SECONDS ?? 60);

async function route(base: string, path: string): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(base + path);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${base}${path}: ${res.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Build {
  name: string;
  base: string;
}

async function main() {
  console.log(`load average at the start: ${loadAverage()} (${availableParallelism()} cores, shared)`);
  let loaded: { ms: number; value: LoadTimes } | undefined;
  let copyMs = 0;
  let compareUrl: string | undefined;
  const db = await benchDatabase('bench_analytics', {
    prepare: async (url) => {
      console.log(`loading ${EVENTS.toLocaleString()} events over ${DAYS} days, ${USERS.toLocaleString()} users, through the previous schema…`);
      if (!COMPARE) {
        loaded = await timed(() => loadDataSet(url));
        return;
      }
      // Loaded once at the previous release's schema, copied for the other build, then upgraded here.
      loaded = await timed(() => loadDataSet(url, OLD_SCHEMA));
      const copy = await timed(() => copyDatabase(url, 'bench_analytics_old'));
      copyMs = copy.ms;
      compareUrl = copy.value;
      const upgrade = await timed(() => migrateTo(url));
      loaded.ms += upgrade.ms;
      loaded.value.upgradeMs = upgrade.ms;
    },
  });
  const { dataSource } = db;
  const services: ChildProcess[] = [];
  try {
    const [facts] = await dataSource.query(
      `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(DISTINCT user_id) FROM events)::int AS users,
              (SELECT count(*) FROM analytics_user_sets)::int AS sets, (SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass)::int AS partitions,
              pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'events'::regclass)) AS events_size,
              pg_size_pretty(pg_total_relation_size('analytics_user_sets') + pg_total_relation_size('analytics_users')
                + pg_total_relation_size('analytics_daily_actions') + pg_total_relation_size('analytics_daily_paths')) AS rollups_size`,
    );
    // BENCH_REUSE_URL: a data set loaded by an earlier run (BENCH_KEEP=1 LOAD_ONLY=1), nothing loaded now.
    const t = loaded?.value ?? { insertMs: 0, backfillMs: 0, upgradeMs: 0 };
    if (!loaded) loaded = { ms: 0, value: t as LoadTimes };
    console.log(
      `loaded in ${(loaded!.ms / 1000).toFixed(1)} s (insert ${(t.insertMs / 1000).toFixed(1)} s, rollup backfill ${(t.backfillMs / 1000).toFixed(1)} s, ` +
        `upgrade to the partitioned schema ${(t.upgradeMs / 1000).toFixed(1)} s${COMPARE ? `; database copied for the other build in ${(copyMs / 1000).toFixed(1)} s` : ''}): ` +
        `${facts.events.toLocaleString()} events (${facts.events_size}, ${facts.partitions} weekly partitions), ` +
        `${facts.users.toLocaleString()} users; rollups ${facts.rollups_size} (${facts.sets.toLocaleString()} user-set chunks); ` +
        `${MIGRATIONS.length} migrations`,
    );
    const checked = process.env.BENCH_REUSE_URL ? { ms: 0, value: 'not checked (BENCH_REUSE_URL)' } : await timed(() => checkRollups(dataSource, [day(0), day(D), day(DAYS - 1)]));
    console.log(`rollups = the events (${(checked.ms / 1000).toFixed(1)} s): ${checked.value}`);

    if (process.env.LOAD_ONLY) return; // with BENCH_KEEP=1: load the data set, keep it, explore

    const env = (url: string, port: number) => ({
      DATABASE_URL: url,
      PORT: String(port),
      LOG_LEVEL: 'error',
      METRICS_CRON_ENABLED: 'false',
      RATE_LIMIT_READ: '0',
    });
    const port = await freePort();
    // SERVICE_BUILD=other/dist/src/main.js: that build serves this run's routes (e.g. the tz block before a change)
    services.push(await startService(env(db.url, port), process.env.SERVICE_BUILD ? resolve(process.env.SERVICE_BUILD) : undefined));
    const builds: Build[] = [{ name: 'this build', base: `http://127.0.0.1:${port}` }];
    if (COMPARE) {
      const otherPort = await freePort();
      services.push(await startService(env(compareUrl!, otherPort), COMPARE));
      builds.push({ name: COMPARE, base: `http://127.0.0.1:${otherPort}` });
      // Both builds answer alike (the identical data set): the overview's figures, all time.
      const [a, b] = await Promise.all(builds.map(async (x) => (await fetch(`${x.base}/api/analytics/overview`)).text()));
      if (a !== b) throw new Error(`the two builds answer the overview differently:\n${a}\n${b}`);
    }
    const [base] = builds.map((b) => b.base);

    if (COMPARE) {
      await compareRoutes(builds);
    } else if (!process.env.WRITE_ONLY) {
      await routesAndRaw(base, dataSource);
      await timeZoneRoutes(base);
    }

    if (!COMPARE && !process.env.TZ_ONLY && !process.env.NO_WRITE) {
      // The ingestion target (rollups slow ingestion by at most 30%) is measured through the
      // service by `PRELOAD=1 npm run bench:ingest`; this is the bare INSERT statements' share.
      console.log('\ndatabase-level write cost of the rollups (repository batch inserts only, one writer, one batch of each variant in turn,');
      console.log('events/s from the median time per batch; the statement with the service\'s write projections, with and without rollup CTEs;');
      console.log('ingestion through the service, the target: PRELOAD=1 npm run bench:ingest):\n');
      const names = WRITE_VARIANTS.map((v) => v.name);
      console.log(`| batch (rounds) | ${names.map((n) => `events/s, ${n}`).join(' | ')} | ${names.filter((n) => n !== 'none').map((n) => `cost of ${n} vs none`).join(' | ')} | all vs compare | all vs before tz |`);
      console.log(`|---:|${names.map(() => '---:|').join('')}${names.filter((n) => n !== 'none').map(() => '---:|').join('')}---:|---:|`);
      for (const r of await writeCost(dataSource)) {
        const none = r.rates.get('none');
        const cost = (a: number | undefined, b: number | undefined) => (a && b ? `${(100 * (b / a - 1)).toFixed(0)}%` : '—');
        console.log(
          `| ${r.batch} (${r.iterations}) | ${names.map((n) => Math.round(r.rates.get(n)!).toLocaleString()).join(' | ')} | ` +
            `${names.filter((n) => n !== 'none').map((n) => cost(r.rates.get(n), none)).join(' | ')} | ${cost(r.rates.get('all'), r.rates.get('compare'))} | ${cost(r.rates.get('all'), r.rates.get('before tz'))} |`,
        );
      }
      console.log('(cost: how much more time per event the variant takes than the other — events/s of the other / events/s of it − 1)');
    }
    console.log(`\nload average at the end: ${loadAverage()}`);
  } finally {
    for (const service of services) service.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await db.close();
  }
}

/** Each route through HTTP next to the raw scan it replaces; prints the table and the targets. */
async function routesAndRaw(base: string, dataSource: DataSource): Promise<void> {
  if (SELECTED.length === 0) return;
  console.log(`\nroutes through HTTP (p50/p95 of ${RUNS} calls) vs the raw scan each replaces (runs within ${RAW_BUDGET_MS / 1000} s, at least 1):\n`);
  console.log('| route | range | p50 ms | p95 ms | target p95 | raw p50 ms | raw p95 ms | raw runs | speed-up (p50) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const misses: string[] = [];
  for (const c of SELECTED) {
    for (let i = 0; i < 5; i++) await route(base, c.path); // warm-up
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await route(base, c.path));
    const rawTimes: number[] = [];
    const budget = Date.now() + RAW_BUDGET_MS;
    if (RAW) {
      do rawTimes.push((await timed(() => c.raw(dataSource))).ms);
      while (Date.now() < budget && rawTimes.length < 7);
    }
    const p95 = percentile(times, 95);
    const speedUp = median(rawTimes) / median(times);
    const target = TARGET[c.span];
    if (target !== null && p95 > target) misses.push(`${c.name}: p95 ${p95.toFixed(1)} ms > ${target} ms`);
    if (c.span === '30 days' && speedUp < 20) misses.push(`${c.name}: ${speedUp.toFixed(0)}× < 20×`);
    console.log(
      `| ${c.name} | ${c.span} | ${median(times).toFixed(1)} | ${p95.toFixed(1)} | ${target === null ? '—' : `< ${target}`} | ` +
        `${median(rawTimes).toFixed(0)} | ${percentile(rawTimes, 95).toFixed(0)} | ${rawTimes.length} | ${speedUp.toFixed(0)}× |`,
    );
  }
  console.log(misses.length === 0 ? '\nevery target met' : `\ntargets missed:\n- ${misses.join('\n- ')}`);
}

/**
 * The A/B: per route, RUNS calls of each build, alternating (which build goes first alternates
 * too), after 5 warm-up calls of each; ROUNDS passes over every route. A slow moment of the
 * shared machine then falls on both builds alike; the ratio of each round is printed so that
 * a noisy round shows.
 */
async function compareRoutes([current, other]: Build[]): Promise<void> {
  const samples = new Map<string, { current: number[]; other: number[]; ratios: number[]; paired: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS}, load average ${loadAverage()}`);
    for (const c of SELECTED) {
      for (let i = 0; i < 5; i++) {
        await route(current.base, c.path);
        await route(other.base, c.path);
      }
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        if (i % 2 === 0) {
          a.push(await route(current.base, c.path));
          b.push(await route(other.base, c.path));
        } else {
          b.push(await route(other.base, c.path));
          a.push(await route(current.base, c.path));
        }
      }
      const s = samples.get(c.name) ?? { current: [], other: [], ratios: [], paired: [] };
      s.paired.push(...a.map((ms, i) => ms / b[i]));
      s.current.push(...a);
      s.other.push(...b);
      s.ratios.push(median(a) / median(b));
      samples.set(c.name, s);
    }
  }
  console.log(`\nroutes through HTTP, this build (new) vs ${other.name} (old), each on its own database holding the identical data set;`);
  console.log(`${ROUNDS} round(s) of ${RUNS} alternating calls per route and build; p50/p95 over all calls, the median of the ratios of`);
  console.log('each call of this build to the other build\'s call beside it (paired: the least sensitive to the machine\'s load), and the p50 ratio of each round:\n');
  console.log('| route | range | new p50 ms | new p95 ms | old p50 ms | old p95 ms | new/old p50 | new/old p95 | new/old paired | new/old p50 by round |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const slower: string[] = [];
  const misses: string[] = [];
  for (const c of SELECTED) {
    const s = samples.get(c.name)!;
    const r50 = median(s.current) / median(s.other);
    const r95 = percentile(s.current, 95) / percentile(s.other, 95);
    if (r50 > 1.1 || median(s.paired) > 1.1) slower.push(`${c.name}: p50 ×${r50.toFixed(2)}, paired ×${median(s.paired).toFixed(2)}`);
    const target = TARGET[c.span];
    if (target !== null && percentile(s.current, 95) > target) misses.push(`${c.name}: p95 ${percentile(s.current, 95).toFixed(1)} ms > ${target} ms`);
    console.log(
      `| ${c.name} | ${c.span} | ${median(s.current).toFixed(1)} | ${percentile(s.current, 95).toFixed(1)} | ` +
        `${median(s.other).toFixed(1)} | ${percentile(s.other, 95).toFixed(1)} | ${r50.toFixed(2)} | ${r95.toFixed(2)} | ${median(s.paired).toFixed(2)} | ${s.ratios.map((r) => r.toFixed(2)).join(', ')} |`,
    );
  }
  console.log(slower.length === 0 ? '\nno route more than 10% slower (p50, paired)' : `\nmore than 10% slower (p50 or paired):\n- ${slower.join('\n- ')}`);
  console.log(misses.length === 0 ? 'every latency target met (this build)' : `latency targets missed (this build):\n- ${misses.join('\n- ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
