import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config';
import { dataSourceOptions } from '../src/shared/database/data-source-options';
import { resolveDatabase } from '../src/shared/database/resolve-database';
import { runMigrations } from '../src/shared/database/run-migrations';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL or the embedded database. */
async function main(): Promise<void> {
  const database = await resolveDatabase(loadConfig(), () => undefined);
  const dataSource = new DataSource(dataSourceOptions(database.config.databaseUrl!, 'tracking-migrate'));
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
