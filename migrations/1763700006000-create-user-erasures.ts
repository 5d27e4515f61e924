import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * User erasure (DELETE /api/users/{user_id}, npm run users -- erase).
 *
 * user_erasures records that an erasure happened, never whom in clear: user_hash is the
 * HMAC-SHA-256 of the user id under ERASURE_HASH_KEY (hex), or NULL when no key is configured
 * (a plain SHA-256 of a short or numeric id is reversed by trying every id). A small table
 * written once per erasure: on Citus it stays a local table of the coordinator.
 *
 * analytics_user_sets gets an index on chunk: an erasure clears the user's bit in every row of
 * their chunk, including days whose events were already dropped by retention, and without it
 * that is a scan of the whole table while ingestion waits. Updates of `bits` stay HOT (chunk
 * never changes), so the index costs ingestion one entry per new (day, site, action, chunk).
 */
export class CreateUserErasures1763700006000 implements MigrationInterface {
  name = 'CreateUserErasures1763700006000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE user_erasures (
        id           uuid        PRIMARY KEY,
        erased_at    timestamptz NOT NULL,
        user_hash    text,
        events       integer     NOT NULL,
        metric_rows  integer     NOT NULL,
        windows      integer     NOT NULL,
        requested_by text        NOT NULL
      )`);
    await db.query(`CREATE INDEX user_erasures_user_hash_idx ON user_erasures (user_hash)`);
    await db.query(`CREATE INDEX analytics_user_sets_chunk_idx ON analytics_user_sets (chunk)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX analytics_user_sets_chunk_idx`);
    await db.query(`DROP TABLE user_erasures`);
  }
}
