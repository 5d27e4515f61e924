import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/shared/database/embedded-postgres';
import { asUser, serverUser } from '../../src/shared/database/embedded-postgres-location';

/** postgres flags of the throw-away test cluster (see global-setup). */
export const TEST_PG_FLAGS = ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];

/** A throw-away embedded cluster: where it listens, keeps its data and finds pg_ctl. */
export interface TestCluster {
  url: string;
  port: number;
  /** The folder made for it under <root>/.data (test-pg-…). */
  dir: string;
  /** Where its data really is: `dir`, or a shared folder when user postgres cannot reach `dir`. */
  dataDir: string;
  binDir: string;
  /** Stops it (also after a restart with pg_ctl) and removes its folders. */
  stop(): Promise<void>;
}

/**
 * Starts a throw-away cluster for `root` (the project): data folder .data/test-pg-… as
 * `npm start` would place it, on a free port, with the same rule for unreachable folders.
 */
export async function startTestCluster(root: string): Promise<TestCluster> {
  mkdirSync(join(root, '.data'), { recursive: true });
  const dir = mkdtempSync(join(root, '.data', 'test-pg-'));
  try {
    const port = await freePort();
    const server = await startEmbeddedPostgres({
      dir,
      port,
      database: 'tracking_test',
      // Throw-away cluster: durability across an OS crash is not what these tests check.
      postgresFlags: TEST_PG_FLAGS,
    });
    const cluster: TestCluster = {
      url: server.url,
      port,
      dir,
      dataDir: server.dataDir!,
      binDir: server.binDir!,
      stop: async () => {
        await server.stop();
        stopTestPostgresIfRunning(cluster); // a test may have restarted it outside our control
        rmSync(cluster.dataDir, { recursive: true, force: true });
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

type ClusterAddress = Pick<TestCluster, 'dataDir' | 'port' | 'binDir'>;

/** The suite's own cluster, as global-setup describes it in the environment. */
function suiteCluster(): ClusterAddress | undefined {
  const { TEST_PG_DIR, TEST_PG_PORT, TEST_PG_BIN } = process.env;
  if (!TEST_PG_DIR || !TEST_PG_PORT || !TEST_PG_BIN) return undefined;
  return { dataDir: TEST_PG_DIR, port: Number(TEST_PG_PORT), binDir: TEST_PG_BIN };
}

/** True when the suite runs on its own embedded cluster, which tests may stop and start. */
export function canRestartTestPostgres(): boolean {
  const cluster = suiteCluster();
  return Boolean(cluster && existsSync(join(cluster.binDir, 'pg_ctl')));
}

/** Runs pg_ctl on a cluster, as the user the server runs as (postgres when we are root). */
function pgCtl(cluster: ClusterAddress, args: string[]): void {
  execFileSync(join(cluster.binDir, 'pg_ctl'), args, { ...asUser(serverUser()), stdio: 'ignore', timeout: 30_000 });
}

export function stopTestPostgres(cluster: ClusterAddress = suiteCluster()!): void {
  pgCtl(cluster, ['stop', '-D', cluster.dataDir, '-m', 'fast', '-w']);
}

export function startTestPostgres(cluster: ClusterAddress = suiteCluster()!): void {
  const options = ['-p', String(cluster.port), '-c', 'listen_addresses=127.0.0.1', ...TEST_PG_FLAGS].join(' ');
  pgCtl(cluster, ['start', '-D', cluster.dataDir, '-o', options, '-w', '-l', join(cluster.dataDir, 'restarted.log')]);
}

/** Stops the cluster if it runs (after a restart it is no longer our child); never throws. */
export function stopTestPostgresIfRunning(cluster: ClusterAddress = suiteCluster()!): void {
  try {
    stopTestPostgres(cluster);
  } catch {
    // not running
  }
}

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
