import { Client } from 'pg';
import type { TestDatabaseState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as unknown as TestDatabaseState).__testDb;
  if (!db) return;
  if (db.kind === 'embedded') {
    await db.stop(); // also after a test restarted it with pg_ctl; removes its folders
    return;
  }
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(db.name)} WITH (FORCE)`);
  await admin.end();
}
