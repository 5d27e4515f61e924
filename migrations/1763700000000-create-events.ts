import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEvents1763700000000 implements MigrationInterface {
  name = 'CreateEvents1763700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        id          uuid        PRIMARY KEY,
        user_id     text,
        action      text        NOT NULL,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
        site_id     text,
        path        text
      )`);
    // Listing and time-range scans: ORDER BY occurred_at, id (both directions) with keyset.
    await db.query(`CREATE INDEX events_occurred_at_id_idx ON events (occurred_at, id)`);
    // Per-user listing and per-user metrics.
    await db.query(`CREATE INDEX events_user_occurred_at_idx ON events (user_id, occurred_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE events`);
  }
}
