import { MigrationInterface, QueryRunner } from 'typeorm';
import { BACKFILL_USERS, COUNTER_UPSERTS, FIRST_TRIGGER_FUNCTION } from './1763700003000-create-analytics-rollups';

/**
 * Two fixes to the analytics trigger of 1763700003000-create-analytics-rollups, found by
 * EXPLAIN on the 5-million-event bench data set.
 *
 * 1. Dense user ids. The first version upserted every user of every insert with
 *    `INSERT … ON CONFLICT DO NOTHING`, and an identity column draws its value before the
 *    conflict is found: every event of a known user burnt an id. The user-set bitmaps are as
 *    long as the highest id, so over time they spread over ever more chunks (bigger, slower
 *    to read and write) though the number of users stayed the same. Now only users not yet
 *    known are inserted (ids are burnt only by true races between writers), and the ids
 *    already burnt are closed up: analytics_users is renumbered and the user sets rebuilt
 *    from the events, as the first backfill did (14.7 s at 5.2 M events).
 * 2. User ids looked up by index. For a batch of 1000 events the planner hash-joined the
 *    inserted users with the whole of analytics_users: a sequential scan of every user ever
 *    seen, on every insert (36 of 41 ms at 200,000 users). Each distinct user of the
 *    statement is now looked up through the unique index (about 5 ms per 1000 users,
 *    whatever the number of users stored). The backfill keeps the join: it reads every user.
 *
 * The rest of the function is unchanged.
 */
/** The user-set chunks of the events in `source`, with the users' ids from `ids`. */
const userSetChunks = (source: string, ids: string) => `
  WITH ids AS MATERIALIZED (${ids})
  SELECT m.day, m.site_id, m.action, ids.uid >> 12, bit_or(B'1'::bit(4096) >> (ids.uid & 4095))
  FROM (SELECT DISTINCT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.site_id, a.action, e.user_id
        FROM ${source} e
        CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
        WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
  JOIN ids ON ids.user_id = m.user_id
  GROUP BY 1, 2, 3, 4`;

const TRIGGER_FUNCTION = `
  CREATE OR REPLACE FUNCTION analytics_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    INSERT INTO analytics_users (user_id)
    SELECT i.user_id FROM (SELECT DISTINCT user_id FROM inserted_events WHERE user_id IS NOT NULL) i
    WHERE NOT EXISTS (SELECT FROM analytics_users u WHERE u.user_id = i.user_id)
    ORDER BY i.user_id
    ON CONFLICT (user_id) DO NOTHING;

    INSERT INTO analytics_user_sets AS s (day, site_id, action, chunk, bits)
    ${userSetChunks(
      'inserted_events',
      `SELECT i.user_id, (SELECT u.uid FROM analytics_users u WHERE u.user_id = i.user_id) AS uid
       FROM (SELECT DISTINCT user_id FROM inserted_events WHERE user_id IS NOT NULL) i`,
    )} ORDER BY 3, 2, 1, 4
    ON CONFLICT (action, site_id, day, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
    WHERE (s.bits | EXCLUDED.bits) <> s.bits;
${COUNTER_UPSERTS}
    RETURN NULL;
  END
  $fn$`;

export class AnalyticsTriggerDenseIds1763700004000 implements MigrationInterface {
  name = 'AnalyticsTriggerDenseIds1763700004000';

  async up(db: QueryRunner): Promise<void> {
    // Writers wait from here until this migration commits, so no event escapes the rebuild.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    await db.query(TRIGGER_FUNCTION);
    const [{ gaps }] = await db.query(`SELECT coalesce(max(uid) + 1 - count(*), 0)::bigint AS gaps FROM analytics_users`);
    if (Number(gaps) > 0) {
      await db.query(`TRUNCATE analytics_user_sets, analytics_users RESTART IDENTITY`);
      await db.query(BACKFILL_USERS);
      await db.query(
        `INSERT INTO analytics_user_sets (day, site_id, action, chunk, bits) ${userSetChunks('events', 'SELECT user_id, uid FROM analytics_users')}`,
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(FIRST_TRIGGER_FUNCTION);
  }
}
