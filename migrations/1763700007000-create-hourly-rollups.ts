import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly analytics rollups, for answers in any time zone (the `tz` parameter).
 *
 * A local day of a zone is a range of UTC instants that starts on a UTC hour for most zones
 * and on a quarter or half hour for the rest (India, Nepal, Adelaide, Lord Howe…). The daily
 * UTC rollups cannot answer it; raw events could, but would cost a scan of a day of events.
 * These tables hold the same figures per UTC hour, so a local day reads its whole UTC hours
 * (and whole UTC days, where a range holds some) from rollups and only the less-than-an-hour
 * left at each end — for a zone whose offset is not whole hours — from raw events.
 *
 *  - analytics_hourly_user_sets: per UTC hour, site and action ('' = any, 'login'), the
 *    active users as 4096-bit chunks of the dense ids of analytics_users, as analytics_user_sets.
 *  - analytics_hourly_users: the same over all sites (per hour, action and chunk). An hour's
 *    users are few and spread over every site and chunk, so a question about all sites — the
 *    usual one — reads a third of the rows (at three sites) instead of OR-ing the sites' rows.
 *  - analytics_hourly_actions: events per hour, site and action.
 *  - analytics_hourly_paths: page views per hour, site and path.
 *
 * `hour` is the instant the UTC hour starts (timestamptz), computed with date_bin so that it
 * does not depend on the session's TimeZone. Maintained like the daily rollups, by CTEs of the
 * event-insert statement (rollups.projection.ts), never by a trigger: on Citus these stay
 * ordinary tables on the coordinator, as the daily ones (see 1763700005000).
 *
 * The backfill reads the events stored now, under a lock that holds writers off until this
 * migration commits, so every event is counted once: by the backfill, or by the write that
 * stores it afterwards. (Events a retention has already dropped have no hourly figures: a
 * local-day question over them reads only what is left.)
 */
const HOUR = `date_bin('1 hour', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

export class CreateHourlyRollups1763700007000 implements MigrationInterface {
  name = 'CreateHourlyRollups1763700007000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE analytics_hourly_user_sets (
        hour    timestamptz NOT NULL,
        site_id text,
        action  text        NOT NULL,
        chunk   integer     NOT NULL,
        bits    bit(4096)   NOT NULL,
        CONSTRAINT analytics_hourly_user_sets_key UNIQUE NULLS NOT DISTINCT (action, site_id, hour, chunk)
      ) WITH (fillfactor = 70)`);
    await db.query(`CREATE INDEX analytics_hourly_user_sets_hour_idx ON analytics_hourly_user_sets (action, hour)`);
    // An erasure clears a user's bit in every row of its chunk (see 1763700006000).
    await db.query(`CREATE INDEX analytics_hourly_user_sets_chunk_idx ON analytics_hourly_user_sets (chunk)`);
    await db.query(`
      CREATE TABLE analytics_hourly_users (
        hour    timestamptz NOT NULL,
        action  text        NOT NULL,
        chunk   integer     NOT NULL,
        bits    bit(4096)   NOT NULL,
        CONSTRAINT analytics_hourly_users_key UNIQUE (action, hour, chunk)
      ) WITH (fillfactor = 70)`);
    await db.query(`CREATE INDEX analytics_hourly_users_chunk_idx ON analytics_hourly_users (chunk)`);
    await db.query(`
      CREATE TABLE analytics_hourly_actions (
        hour    timestamptz NOT NULL,
        site_id text,
        action  text        NOT NULL,
        events  bigint      NOT NULL,
        CONSTRAINT analytics_hourly_actions_key UNIQUE NULLS NOT DISTINCT (hour, site_id, action)
      ) WITH (fillfactor = 70)`);
    await db.query(`
      CREATE TABLE analytics_hourly_paths (
        hour    timestamptz NOT NULL,
        site_id text,
        path    text        NOT NULL,
        views   bigint      NOT NULL,
        CONSTRAINT analytics_hourly_paths_key UNIQUE NULLS NOT DISTINCT (hour, site_id, path)
      ) WITH (fillfactor = 70)`);

    // Writers (inserts of events) wait from here until this migration commits.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    // The distinct (hour, site, action, user) first (on Citus: on the workers), then their dense ids.
    await db.query(`
      INSERT INTO analytics_hourly_user_sets (hour, site_id, action, chunk, bits)
      WITH m AS MATERIALIZED (
        SELECT DISTINCT ${HOUR} AS hour, e.site_id, a.action, e.user_id
        FROM events e
        CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
        WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL)
      SELECT m.hour, m.site_id, m.action, u.uid >> 12, bit_or(B'1'::bit(4096) >> (u.uid & 4095))
      FROM m JOIN analytics_users u ON u.user_id = m.user_id
      GROUP BY 1, 2, 3, 4`);
    await db.query(`
      INSERT INTO analytics_hourly_users (hour, action, chunk, bits)
      SELECT hour, action, chunk, bit_or(bits) FROM analytics_hourly_user_sets GROUP BY 1, 2, 3`);
    await db.query(`
      INSERT INTO analytics_hourly_actions (hour, site_id, action, events)
      SELECT ${HOUR}, site_id, action, count(*) FROM events GROUP BY 1, 2, 3`);
    await db.query(`
      INSERT INTO analytics_hourly_paths (hour, site_id, path, views)
      SELECT ${HOUR}, site_id, path, count(*) FROM events WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE analytics_hourly_paths`);
    await db.query(`DROP TABLE analytics_hourly_actions`);
    await db.query(`DROP TABLE analytics_hourly_users`);
    await db.query(`DROP TABLE analytics_hourly_user_sets`);
  }
}
