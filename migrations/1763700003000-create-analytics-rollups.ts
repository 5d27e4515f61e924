import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics rollups, maintained by the database itself as events are inserted.
 *
 * Why a trigger rather than a CTE of the write statement (as the metrics ledger is): the
 * rollups must count every event whoever writes it — a replica still running the previous
 * release during a rolling deploy, an operator's bulk COPY — and the backfill below must
 * meet the first maintained write exactly. CREATE TRIGGER locks out inserts into `events`
 * until this migration commits, so every event is counted once: by the backfill if it was
 * there before, by the trigger if it came after.
 *
 * The trigger is a statement trigger over the transition table of the rows actually inserted
 * (ON CONFLICT DO NOTHING leaves duplicates out), so rewriting a duplicate changes nothing.
 *
 * Tables (site_id NULL is "no site", kept distinct from a site called ''):
 *  - analytics_users: a dense integer id per user id, so that sets of users are bitmaps.
 *  - analytics_user_sets: per UTC day, site and action ('' = any action; 'login' for the
 *    login-uniques route of seed 000), the set of active users as bitmaps of 4096 users
 *    ("chunks"). Unique users of any set of days = bit_count of the chunks OR-ed together:
 *    30 days of one site at 200,000 users is 30 × 49 rows of 512 bytes.
 *  - analytics_daily_actions: events per day, site and action.
 *  - analytics_daily_paths: page views per day, site and path.
 */
/** The user-set chunks of the events in `source`: one bitmap row per day, site, action and chunk. */
const userSetChunks = (source: string) => `
  SELECT m.day, m.site_id, m.action, u.uid >> 12, bit_or(B'1'::bit(4096) >> (u.uid & 4095))
  FROM (SELECT DISTINCT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.site_id, a.action, e.user_id
        FROM ${source} e
        CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
        WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
  JOIN analytics_users u ON u.user_id = m.user_id
  GROUP BY 1, 2, 3, 4`;

/** Ids for every user already stored, in order of first appearance. */
export const BACKFILL_USERS = `
  INSERT INTO analytics_users (user_id)
  SELECT user_id FROM events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY min(occurred_at), user_id`;

/** The counter upserts of the trigger function (unchanged by later migrations). */
export const COUNTER_UPSERTS = `
    INSERT INTO analytics_daily_actions AS c (day, site_id, action, events)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, action, count(*)
    FROM inserted_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, site_id, action) DO UPDATE SET events = c.events + EXCLUDED.events;

    INSERT INTO analytics_daily_paths AS c (day, site_id, path, views)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, path, count(*)
    FROM inserted_events WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, site_id, path) DO UPDATE SET views = c.views + EXCLUDED.views;`;

// Each statement of a plpgsql function takes a fresh snapshot, so the second sees the
// user ids a concurrent transaction committed while the first waited on them. Rows are
// written in key order, so concurrent writers lock them in the same order (no deadlock).
// A set row is only rewritten when a bit actually changes.
/** This migration's trigger function (1763700004000 replaces it, and restores it on down). */
export const FIRST_TRIGGER_FUNCTION = `
      CREATE OR REPLACE FUNCTION analytics_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO analytics_users (user_id)
        SELECT DISTINCT user_id FROM inserted_events WHERE user_id IS NOT NULL ORDER BY user_id
        ON CONFLICT (user_id) DO NOTHING;

        INSERT INTO analytics_user_sets AS s (day, site_id, action, chunk, bits)
        ${userSetChunks('inserted_events')} ORDER BY 3, 2, 1, 4
        ON CONFLICT (action, site_id, day, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
        WHERE (s.bits | EXCLUDED.bits) <> s.bits;
${COUNTER_UPSERTS}
        RETURN NULL;
      END
      $fn$`;

export class CreateAnalyticsRollups1763700003000 implements MigrationInterface {
  name = 'CreateAnalyticsRollups1763700003000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE analytics_users (
        uid     integer GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0) PRIMARY KEY,
        user_id text NOT NULL UNIQUE
      )`);
    // fillfactor < 100 leaves room on each page so that the frequent in-place updates of
    // these small rows are HOT (no index write).
    await db.query(`
      CREATE TABLE analytics_user_sets (
        day     date     NOT NULL,
        site_id text,
        action  text     NOT NULL,
        chunk   integer  NOT NULL,
        bits    bit(4096) NOT NULL,
        CONSTRAINT analytics_user_sets_key UNIQUE NULLS NOT DISTINCT (action, site_id, day, chunk)
      ) WITH (fillfactor = 70)`);
    await db.query(`CREATE INDEX analytics_user_sets_day_idx ON analytics_user_sets (action, day)`);
    await db.query(`
      CREATE TABLE analytics_daily_actions (
        day     date   NOT NULL,
        site_id text,
        action  text   NOT NULL,
        events  bigint NOT NULL,
        CONSTRAINT analytics_daily_actions_key UNIQUE NULLS NOT DISTINCT (day, site_id, action)
      ) WITH (fillfactor = 70)`);
    await db.query(`
      CREATE TABLE analytics_daily_paths (
        day     date   NOT NULL,
        site_id text,
        path    text   NOT NULL,
        views   bigint NOT NULL,
        CONSTRAINT analytics_daily_paths_key UNIQUE NULLS NOT DISTINCT (day, site_id, path)
      ) WITH (fillfactor = 70)`);
    await db.query(`CREATE INDEX analytics_daily_paths_site_idx ON analytics_daily_paths (site_id, day)`);

    await db.query(FIRST_TRIGGER_FUNCTION);
    // Locks events against writers (SHARE ROW EXCLUSIVE) until this migration commits.
    await db.query(`
      CREATE TRIGGER analytics_rollups AFTER INSERT ON events
      REFERENCING NEW TABLE AS inserted_events
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_events_inserted()`);
    // Backfill from the events already stored.
    await db.query(BACKFILL_USERS);
    await db.query(`
      INSERT INTO analytics_user_sets (day, site_id, action, chunk, bits) ${userSetChunks('events')}`);
    await db.query(`
      INSERT INTO analytics_daily_actions (day, site_id, action, events)
      SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, action, count(*) FROM events GROUP BY 1, 2, 3`);
    await db.query(`
      INSERT INTO analytics_daily_paths (day, site_id, path, views)
      SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, path, count(*)
      FROM events WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER analytics_rollups ON events`);
    await db.query(`DROP FUNCTION analytics_events_inserted()`);
    await db.query(`DROP TABLE analytics_daily_paths, analytics_daily_actions, analytics_user_sets, analytics_users`);
  }
}
