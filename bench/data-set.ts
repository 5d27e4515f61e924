import { DataSource } from 'typeorm';

/**
 * The realistic data set of bench:analytics (and of bench:ingest with PRELOAD=1), generated
 * inside PostgreSQL with INSERT … SELECT from generate_series, the rollup trigger maintaining
 * the rollups as it goes: EVENTS (default 5,000,000) events over 90 days, 200,000 distinct
 * users `user-0` … with a power-law activity, 20 actions (half page views), 3 sites of unequal
 * size, 300 paths (skewed), 5% anonymous events, a day/night curve. Stored in time order, as
 * live traffic is appended, so that the raw scans the benchmarks compare with read a day's
 * events from the pages they would occupy in production.
 */
export const EVENTS = Number(process.env.EVENTS ?? 5_000_000);
export const USERS = 200_000;
export const DAYS = 90;
export const START = Date.UTC(2025, 5, 1); // 2025-06-01: June, July, August

export async function loadDataSet(db: DataSource): Promise<void> {
  await insertDataSet(db);
  for (const table of ['events', 'analytics_users', 'analytics_user_sets', 'analytics_daily_actions', 'analytics_daily_paths']) {
    await db.query(`VACUUM ANALYZE ${table}`);
  }
}

/** The data set's events alone, into an `events` table with the columns of every schema so far up to 1763700004000 (bench:upgrade). */
export async function insertDataSet(db: DataSource): Promise<void> {
  const chunks = 9;
  for (let c = 0; c < chunks; c++) {
    const n = Math.round(EVENTS / chunks);
    const first = (c * DAYS) / chunks;
    // Each chunk also gives a ninth of the 200,000 users one event, so all of them exist.
    const everyone = `SELECT u, ${first} + floor(random() * ${DAYS / chunks})::int FROM generate_series(${c}, ${USERS - 1}, ${chunks}) u`;
    await db.query(
      `INSERT INTO events (id, user_id, action, occurred_at, received_at, metadata, site_id, path)
       SELECT gen_random_uuid(), user_id, action, occurred_at, now(), '{}'::jsonb, site_id, path
       FROM (SELECT CASE WHEN random() < 0.05 THEN NULL ELSE 'user-' || g.u END AS user_id,
                    CASE WHEN random() < 0.5 THEN 'page_view'
                         ELSE (ARRAY['click','login','signup','purchase','search','share','scroll','logout','add_to_cart','remove_from_cart',
                                     'checkout','comment','like','follow','download','play','pause','rate','subscribe'])[1 + floor(random() * 19)::int] END AS action,
                    to_timestamp(${START / 1000} + g.day * 86400 + 50400 + 21600 * sin(random() * 6.2831853) * random() + (random() - 0.5) * 36000) AS occurred_at,
                    (ARRAY['site-a','site-a','site-a','site-a','site-a','site-a','site-b','site-b','site-b','site-c'])[1 + floor(random() * 10)::int] AS site_id,
                    '/p/' || floor(300 * power(random(), 2))::int AS path
             FROM (SELECT floor(${USERS} * power(random(), 3))::int AS u, ${first} + floor(random() * ${DAYS / chunks})::int AS day
                   FROM generate_series(1, ${n}) UNION ALL ${everyone}) g) e
       ORDER BY occurred_at`,
    );
    process.stdout.write(`  ${c + 1}/${chunks}`);
  }
  console.log();
}
