import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Public ingestion keys (scope `ingest`): a key bound to one site, and the origins a browser may
 * use it from. `site_id` is set exactly for ingest keys; `origins` holds normalized origins
 * (scheme://host[:port]), empty for the other scopes.
 *
 * On Citus `api_keys` is a reference table (1763700005000): ADD COLUMN and the constraints are
 * plain DDL that Citus propagates to every node's copy, so the same statements serve both.
 */
export class IngestApiKeys1763700009000 implements MigrationInterface {
  name = 'IngestApiKeys1763700009000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE api_keys ADD COLUMN site_id text`);
    await db.query(`ALTER TABLE api_keys ADD COLUMN origins text[] NOT NULL DEFAULT '{}'`);
    await db.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check`);
    await db.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write', 'admin', 'ingest'))`);
    await db.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_ingest_site_check CHECK ((scope = 'ingest') = (site_id IS NOT NULL) AND (scope = 'ingest' OR origins = '{}'))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM api_keys WHERE scope = 'ingest'`);
    await db.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_ingest_site_check`);
    await db.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check`);
    await db.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write', 'admin'))`);
    await db.query(`ALTER TABLE api_keys DROP COLUMN origins`);
    await db.query(`ALTER TABLE api_keys DROP COLUMN site_id`);
  }
}
