import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/shared/database/embedded-postgres';
import { TEST_PG_FLAGS } from './test-postgres';

/**
 * Gives the test run its own PostgreSQL database and exports its URL as DATABASE_URL for
 * every test file and every child process (CLI, server) the tests start:
 * - with DATABASE_URL set, a fresh database `tracking_test_<n>` on that server (dropped after);
 * - otherwise a throw-away embedded PostgreSQL cluster on a free port.
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env.DATABASE_URL;
  const state = globalThis as unknown as TestDatabaseState;
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
  mkdirSync(join(process.cwd(), '.data'), { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.data', 'test-pg-'));
  const port = await freePort();
  const server = await startEmbeddedPostgres({
    dir,
    port,
    database: 'tracking_test',
    // Throw-away cluster: durability across an OS crash is not what these tests check.
    postgresFlags: TEST_PG_FLAGS,
  });
  process.env.DATABASE_URL = server.url;
  process.env.TEST_PG_DIR = dir;
  process.env.TEST_PG_PORT = String(port);
  state.__testDb = { kind: 'embedded', stop: server.stop, dir };
}

export type TestDatabaseState = {
  __testDb?:
    | { kind: 'server'; adminUrl: string; name: string }
    | { kind: 'embedded'; stop: () => Promise<void>; dir: string };
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
