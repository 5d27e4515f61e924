import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quarter-hour user ids, so that a local day of a zone whose offset is not whole hours (India
 * +05:30, Nepal +05:45, Adelaide, Lord Howe, Chatham, Newfoundland…) is answered from rollups
 * only, without reading raw events at its edges.
 *
 * Such a day starts and ends inside a UTC hour. The hourly tier (1763700007000) answers its
 * whole hours; the under-an-hour left at each end — e.g. 18:30–19:00Z and 18:00–18:30Z for
 * Kolkata — was read from the raw events and each of their users mapped to its dense id
 * (measured at 5 M events: 30 local days in Kolkata ~20× the same question in UTC, most of it
 * that mapping and the bitmaps built from it).
 *
 *  - analytics_quarter_user_ids: per UTC quarter hour (the instant it starts), action ('' =
 *    any, 'login') and block of 65,536 dense ids (uid >> 16), over all sites, the ids
 *    (analytics_users.uid) of the users active in it, sorted, without duplicates. A quarter
 *    hour holds a few hundred users spread over every 4096-id chunk — about a dozen per chunk
 *    — so a 512-byte bitmap per chunk (as the day and hour tiers) would be ~99% zeros: 340 MB
 *    at 5 M events (measured), against ~40 MB for these arrays. The layout is the cheapest to
 *    write that was measured (bench:analytics' write variants, batches of 100): one array per
 *    quarter hour and site (~600 ids, TOASTed, rewritten by every write) cost the write +31%,
 *    one per quarter hour, site and 4096-id chunk +33% (a hundred rows per batch); this one
 *    touches a few rows per batch. Only questions over all sites read it: with a site, the
 *    edges stay on the raw events (as before this tier).

 * Every UTC offset the tz database (Node's ICU copy) gives any zone between 1970 and 2040 is a
 * multiple of 15 minutes except two early ones: Africa/Monrovia's −00:44:30 until 1972 and
 * Pacific/Kiritimati's −10:40 until 1979 (checked with Intl over all 418 zones, one sample a
 * day). A bound not on a quarter hour — those zones' old local midnights, or an instant given
 * to the overview — is still read from the raw events, so every answer stays exact.
 *
 * Maintained by a CTE of the event-insert statement (rollups.projection.ts), like the other
 * rollups; an ordinary table (on Citus: on the coordinator). The backfill holds writers off
 * until this migration commits, so every event is counted once.
 */
export const QUARTER = `date_bin('15 minutes', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

export class CreateQuarterHourUserIds1763700008000 implements MigrationInterface {
  name = 'CreateQuarterHourUserIds1763700008000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE analytics_quarter_user_ids (
        quarter timestamptz NOT NULL,
        action  text        NOT NULL,
        block   integer     NOT NULL,
        uids    integer[]   NOT NULL,
        CONSTRAINT analytics_quarter_user_ids_key UNIQUE (action, quarter, block)
      ) WITH (fillfactor = 70)`);
    // Writers (inserts of events) wait from here until this migration commits.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    await db.query(`
      INSERT INTO analytics_quarter_user_ids (quarter, action, block, uids)
      WITH m AS MATERIALIZED (
        SELECT DISTINCT ${QUARTER} AS quarter, a.action, e.user_id
        FROM events e
        CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
        WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL)
      SELECT m.quarter, m.action, u.uid >> 16, array_agg(u.uid ORDER BY u.uid)
      FROM m JOIN analytics_users u ON u.user_id = m.user_id
      GROUP BY 1, 2, 3`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE analytics_quarter_user_ids`);
  }
}
