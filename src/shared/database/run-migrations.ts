import type { DataSource } from 'typeorm';

// Arbitrary but fixed: every replica takes the same lock, so only one migrates at a time.
const MIGRATION_LOCK_KEY = 7_318_200_001;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so that several replicas
 * starting together never run the same migration twice. Returns the names applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
