import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1763700002000 implements MigrationInterface {
  name = 'CreateApiKeys1763700002000';

  async up(db: QueryRunner): Promise<void> {
    // Only a SHA-256 of each secret is stored: the secret is shown once, at creation.
    await db.query(`
      CREATE TABLE api_keys (
        id          uuid        PRIMARY KEY,
        name        text        NOT NULL,
        scope       text        NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        secret_hash text        NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_keys`);
  }
}
