import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * visitor_salts: one random salt per UTC day for anonymous visitor ids (src/visitors): the
 * browser routes count a visitor who sends no user id as an HMAC of site, address and user
 * agent under the day's salt. A day's row is deleted once the day is over. A tiny table read
 * once per process and day: on Citus it stays a local table of the coordinator.
 */
export class CreateVisitorSalts1763700010500 implements MigrationInterface {
  name = 'CreateVisitorSalts1763700010500';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE visitor_salts (day date PRIMARY KEY, salt bytea NOT NULL CHECK (octet_length(salt) = 32))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE visitor_salts`);
  }
}
