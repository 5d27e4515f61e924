import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateActivityMetrics1763700001000 implements MigrationInterface {
  name = 'CreateActivityMetrics1763700001000';

  async up(db: QueryRunner): Promise<void> {
    // The window ledger: one row per 4-hour window that has events of identified users.
    // `version` grows with every event write into the window (same statement as the write);
    // `computed_version` is the version the last computation saw. Dirty = they differ.
    await db.query(`
      CREATE TABLE metric_windows (
        window_start     timestamptz PRIMARY KEY,
        version          bigint      NOT NULL DEFAULT 0,
        computed_version bigint,
        users            integer,
        events           integer,
        computed_at      timestamptz,
        trigger          text CHECK (trigger IN ('cron', 'http', 'cli')),
        duration_ms      integer,
        computations     integer     NOT NULL DEFAULT 0
      )`);
    // action_counts is json, not jsonb: written once per computation and only ever returned
    // whole, so jsonb's parsing and key sorting would cost without paying back (measured:
    // about a third of a window's computation time).
    // user_id uses the "C" collation: byte order, the same order everywhere (keyset cursors,
    // the in-memory adapter), independent of the server's locale.
    await db.query(`
      CREATE TABLE user_activity_metrics (
        window_start     timestamptz NOT NULL,
        user_id          text COLLATE "C" NOT NULL,
        event_count      integer     NOT NULL,
        distinct_actions integer     NOT NULL,
        action_counts    json        NOT NULL,
        first_event_at   timestamptz NOT NULL,
        last_event_at    timestamptz NOT NULL,
        session_count    integer     NOT NULL,
        active_ms        bigint      NOT NULL,
        computed_at      timestamptz NOT NULL,
        PRIMARY KEY (window_start, user_id)
      )`);
    await db.query(`CREATE INDEX user_activity_metrics_user_idx ON user_activity_metrics (user_id, window_start)`);
    // Events stored before this migration get their ledger rows now.
    await db.query(`
      INSERT INTO metric_windows (window_start, version)
      SELECT date_bin('4 hours', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*)
      FROM events WHERE user_id IS NOT NULL GROUP BY 1`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE user_activity_metrics`);
    await db.query(`DROP TABLE metric_windows`);
  }
}
