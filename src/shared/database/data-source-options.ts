import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

/**
 * The one set of connection options shared by the app, the migration CLI and the tests.
 * `synchronize` stays off: the schema changes only through reviewed migrations.
 */
export function dataSourceOptions(url: string, applicationName = 'tracking-service'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    logging: ['error'],
    extra: {
      max: 20,
      // Fail fast when the server is unreachable so callers can answer 503 instead of hanging.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      application_name: applicationName,
      // A runaway statement must not pin a connection forever.
      statement_timeout: 120000,
    },
  };
}
