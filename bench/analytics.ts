import 'reflect-metadata';
import { ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { ANALYTICS_ROLLUP_PROJECTION } from '../src/analytics/adapters/persistence/rollups.projection';
import { WINDOW_MARKING_PROJECTION } from '../src/metrics/adapters/persistence/window-marking.projection';
import { EventWriteProjections } from '../src/tracking/application/event-write-projections';
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
 * ONLY=regex limits the routes to those whose name matches.
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

/** ONLY=regex: only the routes whose name matches (e.g. to repeat a suspicious one with more calls). */
const SELECTED = process.env.ONLY ? CASES.filter((c) => new RegExp(process.env.ONLY!, 'i').test(c.name)) : CASES;

const TARGET: Record<Case['span'], number | null> = { day: 50, '30 days': 200, '12 weeks': 200, month: 200, 'all time': null };

/**
 * Events/s of batch writes through the repository with the service's write projections (window
 * ledger, live-feed NOTIFY, rollups), against the same writes without the rollups' CTEs,
 * interleaved. The rollups are no trigger any more (1763700005000): the toggle is the set of
 * projections the statement is built with, as the service registers them.
 */
async function writeCost(db: DataSource): Promise<Array<{ batch: number; on: number; off: number }>> {
  const repository = (withRollups: boolean) => {
    const projections = new EventWriteProjections();
    projections.register(LIVE_NOTIFY_PROJECTION);
    projections.register(WINDOW_MARKING_PROJECTION);
    if (withRollups) projections.register(ANALYTICS_ROLLUP_PROJECTION);
    return new TypeOrmEventRepository(db.getRepository(EventOrmEntity), projections);
  };
  const [withRollups, withoutRollups] = [repository(true), repository(false)];
  let n = 0;
  const make = (size: number): TrackedEvent[] =>
    Array.from({ length: size }, () => {
      n++;
      const u = Math.floor(USERS * Math.random() ** 3);
      return {
        id: crypto.randomUUID(),
        userId: `user-${u}`,
        action: n % 2 ? 'page_view' : 'click',
        occurredAt: new Date(START + (D + 1) * 86_400_000 + (n % 86_400) * 1000),
        receivedAt: new Date(),
        metadata: {},
        siteId: ['site-a', 'site-b', 'site-c'][n % 3],
        path: `/p/${n % 300}`,
      };
    });
  // Two writers at a time, as the group commit runs two batches in flight.
  const rate = async (repo: TypeOrmEventRepository, size: number, seconds: number) => {
    let written = 0;
    const until = Date.now() + seconds * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      [0, 1].map(async () => {
        while (Date.now() < until) written += (await repo.insertNew(make(size))).size;
      }),
    );
    return written / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  const results = [];
  for (const size of [100, 1000]) {
    const on: number[] = [];
    const off: number[] = [];
    for (let round = 0; round < 3; round++) {
      on.push(await rate(withRollups, size, 4));
      off.push(await rate(withoutRollups, size, 4));
    }
    results.push({ batch: size, on: median(on), off: median(off) });
  }
  return results;
}

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
    const t = loaded!.value;
    console.log(
      `loaded in ${(loaded!.ms / 1000).toFixed(1)} s (insert ${(t.insertMs / 1000).toFixed(1)} s, rollup backfill ${(t.backfillMs / 1000).toFixed(1)} s, ` +
        `upgrade to the partitioned schema ${(t.upgradeMs / 1000).toFixed(1)} s${COMPARE ? `; database copied for the other build in ${(copyMs / 1000).toFixed(1)} s` : ''}): ` +
        `${facts.events.toLocaleString()} events (${facts.events_size}, ${facts.partitions} weekly partitions), ` +
        `${facts.users.toLocaleString()} users; rollups ${facts.rollups_size} (${facts.sets.toLocaleString()} user-set chunks); ` +
        `${MIGRATIONS.length} migrations`,
    );
    const checked = await timed(() => checkRollups(dataSource, [day(0), day(D), day(DAYS - 1)]));
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
    services.push(await startService(env(db.url, port)));
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
    } else {
      await routesAndRaw(base, dataSource);
    }

    if (!COMPARE) {
      // The ingestion target (rollups slow ingestion by at most 30%) is measured through the
      // service by `PRELOAD=1 npm run bench:ingest`; this is the bare INSERT statements' share.
      console.log('\ndatabase-level write cost of the rollups (repository batch inserts only, 2 writers, median of 3 interleaved 4-s rounds;');
      console.log('the statement with the service\'s write projections, with and without the rollups\' CTEs;');
      console.log('ingestion through the service, the target: PRELOAD=1 npm run bench:ingest):\n');
      console.log('| batch | events/s, rollups on | events/s, rollups off | slowdown |');
      console.log('|---:|---:|---:|---:|');
      for (const r of await writeCost(dataSource)) {
        const slowdown = 1 - r.on / r.off;
        console.log(`| ${r.batch} | ${Math.round(r.on).toLocaleString()} | ${Math.round(r.off).toLocaleString()} | ${(100 * slowdown).toFixed(0)}% |`);
      }
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
