import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { DEFAULT_CITUS_CACHED_CONNECTIONS } from '../../config';

/**
 * The one set of connection options shared by the app, the migration CLI and the tests.
 * `synchronize` stays off: the schema changes only through reviewed migrations.
 */
export function dataSourceOptions(url: string, applicationName = 'tracking-service', citusCachedConnections = DEFAULT_CITUS_CACHED_CONNECTIONS): DataSourceOptions {
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
      // On Citus, a write that spans shards (INSERT … SELECT through the coordinator) opens one
      // connection per shard placement it copies into, and closes all but one per worker after
      // each statement by default: with 32 shards, about 600 ms of connection set-up per
      // statement (measured: a 12-row insert 780 ms → 35 ms with the connections kept; see
      // docs/scaling.md). Keeping up to CITUS_CACHED_CONNECTIONS per worker is what removes it.
      // Plain PostgreSQL keeps the setting as an unused placeholder.
      options: `-c citus.max_cached_conns_per_worker=${citusCachedConnections}`,
    },
  };
}
