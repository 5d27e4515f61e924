import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One schema for plain PostgreSQL and for Citus (distributed PostgreSQL), with `events`
 * partitioned by time. What Citus refused in the previous schema, and what replaces it:
 *
 * 1. The rollup trigger on `events` (Citus allows no trigger on a distributed table). The
 *    rollups are now maintained by CTEs of the one INSERT statement that stores events (the
 *    analytics write projection), as the metrics ledger already was: the same statement, the
 *    same transaction, over the rows actually inserted. What this gives up: rows written into
 *    `events` by other means than the service (an operator's COPY) are not counted. Write
 *    through the API.
 * 2. A primary key `(id)` without the distribution column. Uniqueness of an event id now
 *    lives in `event_ids (id PRIMARY KEY, user_key, occurred_at)`, the idempotency ledger,
 *    written first in the insert statement: only the ids it newly takes are inserted into
 *    `events`. "Duplicate" keeps its meaning: the same event id, whoever the user and whatever
 *    the time (a retry without a timestamp gets a new server time, yet stays a duplicate). A
 *    unique key on the partitioned `events` would have to contain the time (and on Citus the
 *    user), which a retry does not keep. On Citus `event_ids` is distributed by `id`, so the
 *    ledger check and `GET /api/events/{id}` go to one shard.
 * 3. Anonymous events (user_id NULL) in a table distributed by user: `events.user_key`, NOT
 *    NULL, is the distribution column: the user id for identified users, and for anonymous
 *    events E'\x01' || id (user ids are printable ASCII, so it names no user), which spreads
 *    anonymous traffic over every shard instead of piling it on one.
 * 4. Collations: `events.user_id` and `user_key` use "C", as `user_activity_metrics.user_id`
 *    does, so the two tables are co-located and joined on equal values.
 * 5. Time partitions: `events` is partitioned by RANGE (occurred_at), one partition per ISO
 *    week (Monday 00:00 UTC). The service creates partitions ahead of time and on demand, and
 *    EVENTS_RETENTION_DAYS drops whole old ones (src/tracking/adapters/persistence/event-partitions.ts).
 *
 * On Citus (the `citus` extension is installed in the database): `events`, `event_ids` and
 * `user_activity_metrics` are distributed (events and metrics by user, co-located), `api_keys`
 * becomes a reference table. The rollups, the window ledger and the dense user ids stay
 * ordinary tables on the coordinator: they are small (rows per day × site × action, not per
 * event), every write and every analytics answer touches them, and the coordinator takes part
 * in every write anyway — a reference table would make each of those writes a write on every
 * node.
 *
 * The upgrade copies the events of an existing deployment into the new table under a lock
 * that holds writers off until the migration commits (timed in docs/scaling.md).
 */
export const ANONYMOUS_KEY_PREFIX = '\x01';

/** Monday 00:00 UTC of the week holding `instant` (an SQL expression of type timestamptz). */
export const weekStartOf = (instant: string) => `(date_trunc('week', ${instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;

export class DistributableEvents1763700005000 implements MigrationInterface {
  name = 'DistributableEvents1763700005000';

  async up(db: QueryRunner): Promise<void> {
    const [{ citus }] = await db.query(`SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus`);
    // Writers (of a previous release) wait from here until this migration commits.
    await db.query(`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`);
    await db.query(`DROP TRIGGER analytics_rollups ON events`);
    await db.query(`DROP FUNCTION analytics_events_inserted()`);
    await db.query(`ALTER TABLE events RENAME TO events_unpartitioned`);
    await db.query(`ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey`);
    await db.query(`ALTER INDEX events_occurred_at_id_idx RENAME TO events_unpartitioned_occurred_at_id_idx`);
    await db.query(`ALTER INDEX events_user_occurred_at_idx RENAME TO events_unpartitioned_user_occurred_at_idx`);

    await db.query(`
      CREATE TABLE events (
        id          uuid             NOT NULL,
        user_key    text COLLATE "C" NOT NULL,
        user_id     text COLLATE "C",
        action      text             NOT NULL,
        occurred_at timestamptz      NOT NULL,
        received_at timestamptz      NOT NULL DEFAULT now(),
        metadata    jsonb            NOT NULL DEFAULT '{}'::jsonb,
        site_id     text,
        path        text
      ) PARTITION BY RANGE (occurred_at)`);
    await db.query(`
      CREATE TABLE event_ids (
        id          uuid             PRIMARY KEY,
        user_key    text COLLATE "C" NOT NULL,
        occurred_at timestamptz      NOT NULL
      )`);
    // The dense user ids are matched against events' user ids in the insert statement: same collation.
    await db.query(`ALTER TABLE analytics_users ALTER COLUMN user_id TYPE text COLLATE "C"`);
    // One partition per week that holds events; the service adds the weeks ahead at start.
    const weeks: Array<{ week: Date }> = await db.query(
      `SELECT DISTINCT ${weekStartOf('occurred_at')} AS week FROM events_unpartitioned ORDER BY 1`,
    );
    for (const { week } of weeks) await db.query(createWeekPartitionSql(week));

    if (citus) {
      // Distributed while still empty: the copy below then writes straight into the shards.
      await db.query(`SELECT create_distributed_table('events', 'user_key')`);
      await db.query(`SELECT create_distributed_table('event_ids', 'id')`);
      await db.query(`SELECT create_distributed_table('user_activity_metrics', 'user_id', colocate_with => 'events')`);
      await db.query(`SELECT create_reference_table('api_keys')`);
    }

    // Indexes after the copy: building them once is much cheaper than growing them row by row.
    await db.query(`
      INSERT INTO events (id, user_key, user_id, action, occurred_at, received_at, metadata, site_id, path)
      SELECT id, coalesce(user_id, E'${ANONYMOUS_KEY_PREFIX}' || id::text), user_id, action, occurred_at, received_at,
             metadata, site_id, path
      FROM events_unpartitioned`);
    await db.query(`INSERT INTO event_ids (id, user_key, occurred_at) SELECT id, user_key, occurred_at FROM events`);
    // Listing and time-range scans: ORDER BY occurred_at, id (both directions) with keyset.
    await db.query(`CREATE INDEX events_occurred_at_id_idx ON events (occurred_at, id)`);
    // Per-user listing, per-user metrics, erasure, and the lookup of one event by its ledger row.
    await db.query(`CREATE INDEX events_user_key_occurred_at_idx ON events (user_key, occurred_at, id)`);
    await db.query(`DROP TABLE events_unpartitioned`);
  }

  async down(): Promise<void> {
    throw new Error('DistributableEvents1763700005000 cannot be reverted: restore a backup taken before the upgrade');
  }
}

/** The partition of the week starting at `week` (a Monday 00:00 UTC). Shared with the service's partition upkeep. */
export function createWeekPartitionSql(week: Date): string {
  const from = week.toISOString();
  const till = new Date(week.getTime() + 7 * 86_400_000).toISOString();
  return `CREATE TABLE IF NOT EXISTS ${weekPartitionName(week)} PARTITION OF events FOR VALUES FROM ('${from}') TO ('${till}')`;
}

/** events_pYYYYMMDD, after the Monday the partition starts on. */
export function weekPartitionName(week: Date): string {
  return `events_p${week.toISOString().slice(0, 10).replace(/-/g, '')}`;
}
