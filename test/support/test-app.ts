import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../src/config';
import { createHttpApp } from '../../src/http-app';
import { tableNames } from './tables';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  db: DataSource;
  config: AppConfig;
  /** Empties every table but the migration ledger. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    METRICS_CRON_ENABLED: 'false',
    LOG_LEVEL: 'fatal',
    // Tests send bursts from one address; the rate-limit test turns limits on itself.
    RATE_LIMIT_READ: '0',
    RATE_LIMIT_WRITE: '0',
    RATE_LIMIT_ADMIN: '0',
    // Tests send wrong keys on purpose; the failed-authentication test sets its own budget.
    AUTH_FAILURE_LIMIT: '0',
    ...overrides,
  });
}

/** The production HTTP app (same factory as main.ts) on the test database, migrated. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const app = await createHttpApp(config);
  await app.getHttpAdapter().getInstance().ready();
  const db = app.get<DataSource>(getDataSourceToken());
  return {
    app,
    config,
    db,
    http: () => request(app.getHttpServer()),
    reset: () => truncateAll(db),
    close: () => app.close(),
  };
}

/**
 * The usual set-up of an e2e file: the app started once, every table emptied before each
 * test, the app closed at the end. The returned object is filled in by beforeAll.
 */
export function useTestApp(): TestApp {
  const t = {} as TestApp;
  beforeAll(async () => {
    Object.assign(t, await startTestApp());
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });
  return t;
}

export async function truncateAll(db: DataSource): Promise<void> {
  // Partitions go with their table (on Citus, truncating both in one statement deadlocks).
  const tables = (await tableNames((sql) => db.query(sql))).filter((t) => t !== 'schema_migrations');
  if (tables.length === 0) return;
  if (process.env.TEST_DATABASE_IN_PLACE === '1') {
    // On Citus a TRUNCATE of several distributed tables at once deadlocks with itself.
    for (const t of tables) await db.query(`TRUNCATE "${t}" RESTART IDENTITY`);
  } else {
    await db.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY`);
  }
}
