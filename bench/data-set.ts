import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { dataSourceOptions } from '../src/shared/database/data-source-options';
import { runMigrations } from '../src/shared/database/run-migrations';
import { timed } from './support';

/**
 * The realistic data set of bench:analytics, bench:dashboard and bench:ingest (PRELOAD=1),
 * generated inside PostgreSQL with INSERT … SELECT from generate_series: EVENTS (default
 * 5,000,000) events over 90 days, 200,000 distinct users `user-0` … with a power-law activity,
 * 20 actions (half page views), 3 sites of unequal size, 300 paths (skewed), 5% anonymous
 * events, a day/night curve. Stored in time order, as live traffic is appended, so that the raw
 * scans the benchmarks compare with read a day's events from the pages they would occupy in
 * production.
 *
 * Deterministic: the generator is seeded (setseed, one session) and the event ids are derived
 * from each event's rank (md5 of chunk and row number, spread over the id space as random
 * UUIDs are), so two databases loaded with the same EVENTS hold the identical data set.
 */
export const EVENTS = Number(process.env.EVENTS ?? 5_000_000);
export const USERS = 200_000;
export const DAYS = 90;
export const START = Date.UTC(2025, 5, 1); // 2025-06-01: June, July, August
const SEED = 0.4242;

/** The migrations of the previous release (5ed252c): the events table, metrics, api keys, the rollups and their trigger. */
export const OLD_SCHEMA = 5;
/** Up to 1763700002000: no rollup tables yet, no trigger — where the events are inserted. */
const BEFORE_ROLLUPS = 3;

const ROLLUPS = ['analytics_users', 'analytics_user_sets', 'analytics_daily_actions', 'analytics_daily_paths'];

export interface LoadTimes {
  /** The events inserted (schema at 1763700002000). */
  insertMs: number;
  /** 1763700003000 + 1763700004000: the rollups created and backfilled from the events. */
  backfillMs: number;
  /** The migrations after 1763700004000 (the upgrade to the partitioned schema), 0 when not applied. */
  upgradeMs: number;
}

/** Runs `fn` on a connection to `url` whose migrations are the first `count` of MIGRATIONS. */
export async function withMigrations<T>(url: string, count: number, fn: (db: DataSource) => Promise<T>): Promise<T> {
  const db = new DataSource({ ...dataSourceOptions(url, 'bench'), migrations: MIGRATIONS.slice(0, count), extra: { max: 2, statement_timeout: 0 } });
  await db.initialize();
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/**
 * Loads the data set into the empty database at `url` the way a real deployment came to hold
 * it, and leaves it at the first `schema` migrations (default: all, the current schema):
 * the events inserted into the schema before the rollups (1763700002000), then 1763700003000
 * and 1763700004000, whose backfill computes the rollups from the events (the same figures the
 * trigger, and now the insert statement's CTEs, keep), then, up to `schema`, the upgrade
 * 1763700005000 (weekly partitions, user_key, the event_ids ledger) and the rest. At
 * `OLD_SCHEMA` the database is the previous release's (5ed252c). Ends with VACUUM ANALYZE.
 */
export async function loadDataSet(url: string, schema = MIGRATIONS.length): Promise<LoadTimes> {
  await withMigrations(url, BEFORE_ROLLUPS, (db) => runMigrations(db));
  const insert = await timed(() => withMigrations(url, BEFORE_ROLLUPS, (db) => insertDataSet(db)));
  const backfill = await timed(() => withMigrations(url, Math.min(schema, OLD_SCHEMA), (db) => runMigrations(db)));
  const upgrade = await timed(() => migrateTo(url, schema));
  return { insertMs: insert.ms, backfillMs: backfill.ms, upgradeMs: schema > OLD_SCHEMA ? upgrade.ms : 0 };
}

/** Applies the first `schema` migrations to a database that holds the data set, then VACUUM ANALYZE. */
export async function migrateTo(url: string, schema = MIGRATIONS.length): Promise<void> {
  await withMigrations(url, schema, async (db) => {
    await runMigrations(db);
    const tables: Array<{ t: string }> = await db.query(
      `SELECT t FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL`,
      [['events', 'event_ids', ...ROLLUPS]],
    );
    for (const { t } of tables) await db.query(`VACUUM ANALYZE ${t}`);
  });
}

/**
 * The rollups against the events they count (a check that the load built them exactly):
 * events per action, page views per path, and the distinct users of a few days (all sites,
 * and of `login`), each from the rollups and from a scan of `events`. Throws on a difference.
 */
export async function checkRollups(db: DataSource, days: string[]): Promise<string> {
  const compare = async (what: string, rollup: string, scan: string, params: unknown[] = []) => {
    const [{ a }] = await db.query(`SELECT (${rollup})::text AS a`, params);
    const [{ b }] = await db.query(`SELECT (${scan})::text AS b`, params);
    if (a !== b) throw new Error(`rollups differ from the events: ${what}: ${a} in the rollups, ${b} in events`);
    return `${what} ${a}`;
  };
  const checks = [
    await compare('events', 'SELECT sum(events) FROM analytics_daily_actions', 'SELECT count(*) FROM events'),
    await compare(
      'events per action (md5)',
      `SELECT md5(string_agg(action || ':' || n, ',' ORDER BY action)) FROM (SELECT action, sum(events) AS n FROM analytics_daily_actions GROUP BY 1) x`,
      `SELECT md5(string_agg(action || ':' || n, ',' ORDER BY action)) FROM (SELECT action, count(*) AS n FROM events GROUP BY 1) x`,
    ),
    await compare(
      'page views per day, site and path (md5)',
      `SELECT md5(string_agg(concat_ws(':', day, site_id, path, views), ',' ORDER BY day, site_id, path)) FROM analytics_daily_paths`,
      `SELECT md5(string_agg(concat_ws(':', day, site_id, path, n), ',' ORDER BY day, site_id, path))
       FROM (SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, site_id, path, count(*) AS n FROM events
             WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3) x`,
    ),
  ];
  for (const d of days) {
    for (const action of ['', 'login']) {
      checks.push(
        await compare(
          `users on ${d}${action ? ` (${action})` : ''}`,
          `SELECT coalesce(sum(bit_count(b)), 0) FROM (SELECT bit_or(bits) AS b FROM analytics_user_sets WHERE day = $1::date AND action = $2 GROUP BY chunk) x`,
          `SELECT count(DISTINCT user_id) FROM events WHERE occurred_at >= $1::date::timestamp AT TIME ZONE 'UTC'
             AND occurred_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC' AND ($2 = '' OR action = $2)`,
          [d, action],
        ),
      );
    }
  }
  return checks.join('; ');
}

/**
 * The data set's events alone, into an `events` table with the columns of every schema up to
 * 1763700004000 (bench:upgrade), on one connection (the generator's seed is per session).
 */
export async function insertDataSet(db: DataSource): Promise<void> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT setseed(${SEED})`);
    const chunks = 9;
    for (let c = 0; c < chunks; c++) {
      const n = Math.round(EVENTS / chunks);
      const first = (c * DAYS) / chunks;
      // Each chunk also gives a ninth of the 200,000 users one event, so all of them exist.
      const everyone = `SELECT u, ${first} + floor(random() * ${DAYS / chunks})::int FROM generate_series(${c}, ${USERS - 1}, ${chunks}) u`;
      await runner.query(
        `INSERT INTO events (id, user_id, action, occurred_at, received_at, metadata, site_id, path)
         SELECT id, user_id, action, occurred_at, occurred_at, '{}'::jsonb, site_id, path
         FROM (SELECT md5('${c}:' || row_number() OVER ())::uuid AS id,
                      CASE WHEN random() < 0.05 THEN NULL ELSE 'user-' || g.u END AS user_id,
                      CASE WHEN random() < 0.5 THEN 'page_view'
                           ELSE (ARRAY['click','login','signup','purchase','search','share','scroll','logout','add_to_cart','remove_from_cart',
                                       'checkout','comment','like','follow','download','play','pause','rate','subscribe'])[1 + floor(random() * 19)::int] END AS action,
                      to_timestamp(${START / 1000} + g.day * 86400 + 50400 + 21600 * sin(random() * 6.2831853) * random() + (random() - 0.5) * 36000) AS occurred_at,
                      (ARRAY['site-a','site-a','site-a','site-a','site-a','site-a','site-b','site-b','site-b','site-c'])[1 + floor(random() * 10)::int] AS site_id,
                      '/p/' || floor(300 * power(random(), 2))::int AS path
               FROM (SELECT floor(${USERS} * power(random(), 3))::int AS u, ${first} + floor(random() * ${DAYS / chunks})::int AS day
                     FROM generate_series(1, ${n}) UNION ALL ${everyone}) g) e
         ORDER BY occurred_at, id`,
      );
      process.stdout.write(`  ${c + 1}/${chunks}`);
    }
    console.log();
  } finally {
    await runner.release();
  }
}
