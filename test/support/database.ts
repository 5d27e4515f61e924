import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/shared/database/data-source-options';
import { runMigrations } from '../../src/shared/database/run-migrations';

/** A migrated DataSource on the test database, for contract tests without HTTP. */
export async function openTestDataSource(entities: Function[]): Promise<DataSource> {
  const dataSource = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 'tracking-test'), entities });
  await dataSource.initialize();
  await runMigrations(dataSource);
  return dataSource;
}
