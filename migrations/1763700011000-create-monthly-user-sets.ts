import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monthly user sets over all sites, so that "seen before" — every user active before a date,
 * which the overview's new users and new-user retention cohorts subtract — reads a row per
 * month and chunk for the months before the date's month, not a row per day, site and chunk for
 * every day since the first.
 *
 * Before this, the overview of one day read every daily user set before it (at 90 days of
 * history ~11,000 rows of 512 bytes, 12–18 ms at 5.2 M events, the largest part of a one-day
 * overview) and that grew with the history kept. Now it reads the whole months before the
 * date's month (49 rows a month at 200,000 users) and the days of that month before the date:
 * at most 30 days' rows, and 49 more rows per month of history.
 *
 *  - analytics_monthly_users: per calendar month of UTC days (its first day), action ('' =
 *    any, 'login') and chunk, over all sites, the active users as 4096-bit chunks of the dense
 *    ids — the OR of the month's rows of analytics_user_sets over every site. Only questions
 *    over all sites read it; with a site, "seen before" still reads that site's daily rows.
 *
 * Maintained by a CTE of the event-insert statement (rollups.projection.ts) from what the
 * daily CTE returns — the day rows the write changed, with their stored bits — OR-ed into their
 * months (a month holds every user of its days, so a day row left unchanged changes no month).
 * An ordinary table, as the other rollups (on Citus: on the coordinator). The backfill takes the
 * daily rows stored now, under a lock that holds writers off until this migration commits.
 */
export class CreateMonthlyUserSets1763700011000 implements MigrationInterface {
  name = 'CreateMonthlyUserSets1763700011000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE analytics_monthly_users (
        month  date      NOT NULL,
        action text      NOT NULL,
        chunk  integer   NOT NULL,
        bits   bit(4096) NOT NULL,
        CONSTRAINT analytics_monthly_users_key UNIQUE (action, month, chunk)
      ) WITH (fillfactor = 70)`);
    // An erasure clears a user's bit in every row of its chunk (see 1763700006000).
    await db.query(`CREATE INDEX analytics_monthly_users_chunk_idx ON analytics_monthly_users (chunk)`);
    // Writers (inserts of events, which also write the daily rows) wait from here until this migration commits.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    await db.query(`
      INSERT INTO analytics_monthly_users (month, action, chunk, bits)
      SELECT date_trunc('month', day::timestamp)::date, action, chunk, bit_or(bits) FROM analytics_user_sets GROUP BY 1, 2, 3`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE analytics_monthly_users`);
  }
}
