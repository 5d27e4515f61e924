import { rmSync } from 'node:fs';
import { Client } from 'pg';
import type { TestDatabaseState } from './global-setup';
import { stopTestPostgresIfRunning } from './test-postgres';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as unknown as TestDatabaseState).__testDb;
  if (!db) return;
  if (db.kind === 'embedded') {
    await db.stop();
    stopTestPostgresIfRunning(); // a test may have restarted it outside the setup's control
    rmSync(db.dir, { recursive: true, force: true });
    return;
  }
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(db.name)} WITH (FORCE)`);
  await admin.end();
}
