import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Six-hour user sets over all sites, so that a local day of a zone other than UTC reads a few
 * rows per 4096-user chunk instead of 24.
 *
 * A local day of a zone not on UTC (Jakarta, Los Angeles, Kolkata…) is not a UTC day: the
 * daily rollups cannot answer it, and it was read as its 24 whole UTC hours from the hourly
 * tier (1763700007000) — per chunk 24 rows where the same day in UTC reads one row per site
 * (measured at 5.2 M events: 30 consecutive local days 2.5–5.7× the same question in UTC).
 * With this tier a local day is at most 6 whole hours and 3 whole six-hour blocks (plus its
 * sub-hour edges in half-hour zones): e.g. Jakarta's day 17:00Z–17:00Z is the hour 17–18, the
 * blocks 18–24, 00–06, 06–12 and the hours 12–17.
 *
 *  - analytics_six_hour_users: per UTC six-hour block (the instant it starts: 00, 06, 12, 18
 *    UTC, computed with date_bin as the hours are), action ('' = any, 'login') and chunk, over
 *    all sites, the active users as 4096-bit chunks of the dense ids — the OR of the block's
 *    rows of analytics_hourly_users. Only questions over all sites read it (as the quarter-hour
 *    ids): with a site, a local day still reads that site's hourly rows.
 *
 * Why six hours: a day read as whole hours and whole k-hour blocks takes up to (k − 1) + 1
 * hours at its ends and 24/k − 1 blocks; that is fewest for k = 4 or 6 (9 rows), and six
 * hours keeps the table smaller (a quarter of the hourly tier's rows over all sites).
 *
 * Maintained by a CTE of the event-insert statement (rollups.projection.ts) from what the
 * hourly CTE over all sites returns — the hour rows the write changed, with their stored bits
 * — OR-ed into their blocks: a block holds every user of its hours, so an hour row the write
 * left unchanged changes no block. An ordinary table, as the other rollups (on Citus: on the
 * coordinator). The backfill takes the hourly rows stored now, under a lock that holds writers
 * off until this migration commits.
 */
export const SIX_HOURS = (column: string) => `date_bin('6 hours', ${column}, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

export class CreateSixHourUserSets1763700010000 implements MigrationInterface {
  name = 'CreateSixHourUserSets1763700010000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE analytics_six_hour_users (
        six_hour timestamptz NOT NULL,
        action   text        NOT NULL,
        chunk    integer     NOT NULL,
        bits     bit(4096)   NOT NULL,
        CONSTRAINT analytics_six_hour_users_key UNIQUE (action, six_hour, chunk)
      ) WITH (fillfactor = 70)`);
    // An erasure clears a user's bit in every row of its chunk (see 1763700006000).
    await db.query(`CREATE INDEX analytics_six_hour_users_chunk_idx ON analytics_six_hour_users (chunk)`);
    // Writers (inserts of events, which also write the hourly rows) wait from here until this migration commits.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    await db.query(`
      INSERT INTO analytics_six_hour_users (six_hour, action, chunk, bits)
      SELECT ${SIX_HOURS('hour')}, action, chunk, bit_or(bits) FROM analytics_hourly_users GROUP BY 1, 2, 3`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE analytics_six_hour_users`);
  }
}
