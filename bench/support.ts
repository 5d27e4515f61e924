import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config';
import { dataSourceOptions } from '../src/shared/database/data-source-options';
import { startEmbeddedPostgres } from '../src/shared/database/embedded-postgres';
import { runMigrations } from '../src/shared/database/run-migrations';

const ROOT = join(__dirname, '..', '..');

/**
 * A fresh database for a benchmark: a new database on DATABASE_URL's server when set,
 * otherwise a throw-away embedded cluster under .data/ (removed afterwards).
 */
export async function benchDatabase(
  name: string,
  options: { migrate?: boolean; prepare?: (url: string) => Promise<void> } = {},
): Promise<{ dataSource: DataSource; url: string; postmasterPid: number | null; close(): Promise<void> }> {
  const config = loadConfig();
  let url: string;
  let postmasterPid: number | null = null;
  let stop = async () => undefined as void;
  if (process.env.BENCH_REUSE_URL) {
    // A database a previous run loaded and kept (BENCH_KEEP=1, LOAD_ONLY=1), used as it is:
    // nothing is created or loaded; pending migrations run on it below.
    url = process.env.BENCH_REUSE_URL;
    options = { ...options, prepare: undefined };
  } else if (config.databaseUrl) {
    const admin = new DataSource({ type: 'postgres', url: config.databaseUrl });
    await admin.initialize();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const parsed = new URL(config.databaseUrl);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
  } else {
    const dir = join(process.cwd(), '.data', `bench-${name}`);
    const running = livePostmaster(dir);
    if (running !== null) {
      // A database kept by BENCH_KEEP: deleting its files under the running server would break it.
      throw new Error(
        `${dir} belongs to a PostgreSQL still running (pid ${running}), kept by BENCH_KEEP? ` +
          `Stop the benchmark holding it (Ctrl-C) or the server (kill ${running}) first.`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const server = await startEmbeddedPostgres({
      dir,
      port: Number(process.env.BENCH_PG_PORT ?? 54400 + Math.floor(Math.random() * 500)),
      database: name,
      // Sized for a 2-core / 24 GiB machine; durable settings (fsync on) are kept.
      postgresFlags: ['-c', 'shared_buffers=1GB', '-c', 'work_mem=64MB', '-c', 'maintenance_work_mem=512MB', '-c', 'max_wal_size=4GB'],
    });
    url = server.url;
    // Not `dir` when user postgres cannot reach it (a project under /root): see dataLocation().
    const dataDir = server.dataDir ?? dir;
    postmasterPid = postmasterPidOf(dataDir);
    stop = async () => {
      if (process.env.BENCH_KEEP) return console.log(`BENCH_KEEP: database left running at ${url}`);
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    };
  }
  // prepare: work on the empty database before this process holds connections to it (a data
  // set loaded and migrated on connections of its own, the database then copied as a template).
  if (options.prepare) await options.prepare(url);
  const dataSource = new DataSource({ ...dataSourceOptions(url, 'bench'), extra: { max: 10, statement_timeout: 0 } });
  await dataSource.initialize();
  // migrate: false leaves the database empty, for another build of the service to migrate (bench:ingest COMPARE).
  if (options.migrate !== false) await runMigrations(dataSource);
  return { dataSource, url, postmasterPid, close: async () => { await dataSource.destroy(); await stop(); } };
}

/**
 * A copy of the database at `url` (which nothing may be connected to), named `name`, on the
 * same server: CREATE DATABASE … TEMPLATE, a file copy. Returns the copy's URL. The copy is
 * not dropped by this function's caller's close(): an embedded server goes away whole; on
 * DATABASE_URL's server it stays, as the benchmarks' databases do.
 */
export async function copyDatabase(url: string, name: string): Promise<string> {
  return createDatabase(url, name, new URL(url).pathname.slice(1));
}

/** A new database `name` on the server of `url` (a copy of `template` when given); returns its URL. */
export async function createDatabase(url: string, name: string, template?: string): Promise<string> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const db = new DataSource({ type: 'postgres', url: admin.toString() });
  await db.initialize();
  try {
    await db.query(`DROP DATABASE IF EXISTS ${name}`);
    await db.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY` : `CREATE DATABASE ${name}`);
  } finally {
    await db.destroy();
  }
  const copy = new URL(url);
  copy.pathname = `/${name}`;
  return copy.toString();
}

/** The pid recorded in a data directory's postmaster.pid, if it has one. */
function postmasterPidOf(dir: string): number | null {
  try {
    return Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

/** The pid of the PostgreSQL server running on this data directory, if one is. */
function livePostmaster(dir: string): number | null {
  const pid = postmasterPidOf(dir);
  if (pid === null) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null; // a stale file left by a server that is gone
  }
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The built service (dist/src/main.js, or another build's `script`) with these environment changes, once /health/ready answers. */
export async function startService(env: Record<string, string>, script = 'dist/src/main.js'): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${env.PORT}/health/ready`)).ok) return child;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not start');
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds (user + system, all threads) used so far by a process — with `reaped`, also by
 * its children that have ended — or null where /proc cannot tell.
 */
export function processCpuSeconds(pid: number, reaped = false): number | null {
  try {
    // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** CPU seconds used so far by a PostgreSQL server: the postmaster and every process it forked (backends, WAL writer, …). */
export function postgresCpuSeconds(postmasterPid: number): number | null {
  let total = processCpuSeconds(postmasterPid, true);
  if (total === null) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmasterPid) total += processCpuSeconds(Number(entry)) ?? 0;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}
