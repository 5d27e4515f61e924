import { Client } from 'pg';
import { EmbeddedPostgresError } from '../../src/shared/database/embedded-postgres';
import { findChromium, SKIPPED_LINE } from '../browser/support/chromium';
import { dropAllTables } from './tables';
import { startTestCluster } from './test-postgres';

/**
 * Gives the test run its own PostgreSQL database and exports its URL as DATABASE_URL for
 * every test file and every child process (CLI, server) the tests start:
 * - with DATABASE_URL set, a fresh database `tracking_test_<n>` on that server (dropped after);
 * - otherwise a throw-away embedded PostgreSQL cluster on a free port (see startTestCluster).
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env.DATABASE_URL;
  const state = globalThis as unknown as TestDatabaseState;
  if (given && process.env.TEST_DATABASE_IN_PLACE === '1') {
    // The Citus suite (test/run-citus-suite.js): a new database on a Citus cluster would lack
    // the cluster's set-up, so the given one is used, emptied of every table first.
    await emptyInPlace(given);
    process.env.TEST_CHROMIUM_PATH = '';
    return;
  }
  findBrowser();
  if (given) {
    const name = `tracking_test_${Date.now()}_${process.pid}`;
    const admin = new Client({ connectionString: given });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    await admin.end();
    const url = new URL(given);
    url.pathname = `/${name}`;
    process.env.DATABASE_URL = url.toString();
    state.__testDb = { kind: 'server', adminUrl: given, name };
    return;
  }
  let cluster;
  try {
    cluster = await startTestCluster(process.cwd());
  } catch (error) {
    if (!(error instanceof EmbeddedPostgresError)) throw error;
    // One line saying what to do, not a stack trace of the test harness.
    console.error(`\nnpm test: ${error.message}`);
    process.exit(1);
  }
  process.env.DATABASE_URL = cluster.url;
  process.env.TEST_PG_DIR = cluster.dataDir;
  process.env.TEST_PG_PORT = String(cluster.port);
  process.env.TEST_PG_BIN = cluster.binDir;
  state.__testDb = { kind: 'embedded', stop: cluster.stop };
}

async function emptyInPlace(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await dropAllTables(async (sql) => (await db.query(sql)).rows);
    // Two workers on one test machine: 4 shards per table rather than Citus' default 32, so that
    // a TRUNCATE between tests touches 4 × weeks shard tables, not 32 × weeks (18 s per test).
    const [{ citus }] = (await db.query(`SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus`)).rows;
    if (citus) await db.query(`ALTER DATABASE ${db.escapeIdentifier(new URL(url).pathname.slice(1))} SET citus.shard_count = 4`);
  } finally {
    await db.end();
  }
}

/**
 * The browser suites (test/browser/) run in the system Chromium; without one they are skipped
 * and the run says so once, here, rather than once per file. TEST_CHROMIUM_PATH tells them.
 */
function findBrowser(): void {
  const path = findChromium();
  process.env.TEST_CHROMIUM_PATH = path ?? '';
  if (!path) console.log(`\n${SKIPPED_LINE}`);
}

export type TestDatabaseState = {
  __testDb?: { kind: 'server'; adminUrl: string; name: string } | { kind: 'embedded'; stop: () => Promise<void> };
};
