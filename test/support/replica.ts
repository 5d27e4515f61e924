import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { asUser, serverUser } from '../../src/shared/database/embedded-postgres-location';
import { createServer } from 'node:net';
import { TEST_PG_FLAGS, TestCluster } from './test-postgres';

/** A hot-standby replica of a running test cluster, streaming from it through a physical slot. */
export interface TestReplica {
  /** The replica's URL (same database, user and password as the primary's). */
  url: string;
  port: number;
  dataDir: string;
  /** The application_name it streams under, also its slot's name. */
  name: string;
  /** Stops the server (fast shutdown); start() brings it back and it resumes streaming. */
  stop(): void;
  start(): void;
  /** Pauses / resumes replay of WAL (the replica keeps receiving it). */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves once the replica has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Runs one statement on the replica (a fresh connection). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops it, removes its folder and drops its slot on the primary. */
  destroy(): Promise<void>;
}

type Primary = Pick<TestCluster, 'url' | 'dataDir' | 'binDir'>;

/**
 * Starts a streaming replica of `primary`, a running embedded cluster that may already hold
 * data, from the embedded binaries alone (no pg_basebackup): an online base backup taken with
 * pg_backup_start/stop around a plain copy of the data folder, as in
 * ../shared/recipes/streaming-replica.md. Takes about a second on a small cluster.
 */
export async function startReplica(primary: Primary, name = `replica_${process.pid}_${Date.now() % 1e6}`): Promise<TestReplica> {
  const user = serverUser();
  const port = await freePort();
  const dataDir = `${primary.dataDir}-${name}`;
  const admin = new Client({ connectionString: primary.url });
  await admin.connect();
  let slotCreated = false;
  try {
    // Replication connections from 127.0.0.1 for the replicator role, without a password; the
    // line goes first, as pg_hba.conf is matched top-down.
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE replicator WITH REPLICATION LOGIN; END IF;
    END $$`);
    const hba = join(primary.dataDir, 'pg_hba.conf');
    const rules = readFileSync(hba, 'utf8');
    const rule = 'host replication replicator 127.0.0.1/32 trust';
    if (!rules.includes(rule)) {
      writeFileSync(hba, `${rule}\n${rules}`);
      await admin.query('SELECT pg_reload_conf()');
    }
    // The slot first: it keeps the WAL from here on until the replica has it.
    await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [name]);
    slotCreated = true;
    // An online base backup: start, copy the folder without WAL, slots and pid file, stop.
    await admin.query(`SELECT pg_backup_start($1, true)`, [name]);
    let labelfile: string;
    try {
      mkdirSync(dataDir, { mode: 0o700 });
      for (const entry of readdirSync(primary.dataDir)) {
        if (entry === 'postmaster.pid' || entry === 'postmaster.opts') continue;
        if (entry === 'pg_wal' || entry === 'pg_replslot') {
          mkdirSync(join(dataDir, entry), { mode: 0o700 });
          continue;
        }
        execFileSync('cp', ['-a', join(primary.dataDir, entry), join(dataDir, entry)]);
      }
    } finally {
      [{ labelfile }] = (await admin.query('SELECT labelfile FROM pg_backup_stop(false)')).rows;
    }
    writeFileSync(join(dataDir, 'backup_label'), labelfile!);
    writeFileSync(join(dataDir, 'standby.signal'), '');
    appendFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      [
        `port = ${port}`,
        `primary_conninfo = 'host=127.0.0.1 port=${new URL(primary.url).port} user=replicator application_name=${name}'`,
        `primary_slot_name = '${name}'`,
        'hot_standby = on',
        'hot_standby_feedback = on',
        '',
      ].join('\n'),
    );
    if (user.uid !== undefined) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);
  } catch (error) {
    if (slotCreated) await admin.query('SELECT pg_drop_replication_slot($1)', [name]).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const url = (() => {
    const u = new URL(primary.url);
    u.port = String(port);
    return u.toString();
  })();
  const pgCtl = (args: string[]) =>
    execFileSync(join(primary.binDir, 'pg_ctl'), args, { ...asUser(user), stdio: 'ignore', timeout: 30_000 });
  const start = () =>
    pgCtl(['start', '-D', dataDir, '-w', '-l', join(dataDir, 'replica.log'), '-o', ['-c', 'listen_addresses=127.0.0.1', ...TEST_PG_FLAGS].join(' ')]);
  const stop = () => pgCtl(['stop', '-D', dataDir, '-m', 'fast', '-w']);
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };

  try {
    start();
  } catch (error) {
    await admin.query('SELECT pg_drop_replication_slot($1)', [name]).catch(() => undefined);
    await admin.end();
    const log = (() => {
      try {
        return readFileSync(join(dataDir, 'replica.log'), 'utf8').slice(-2000);
      } catch {
        return '';
      }
    })();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`the replica did not start: ${(error as Error).message}\n${log}`);
  }

  const replica: TestReplica = {
    url,
    port,
    dataDir,
    name,
    stop,
    start,
    pauseReplay: async () => {
      await query('SELECT pg_wal_replay_pause()');
    },
    resumeReplay: async () => {
      await query('SELECT pg_wal_replay_resume()');
    },
    caughtUp: async (timeoutMs = 20_000) => {
      const [{ lsn }] = (await admin.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [{ done }] = await query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]).catch(() => [{ done: false }]);
        if (done) return;
        if (Date.now() > deadline) throw new Error(`replica ${name} did not replay up to ${lsn} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    query,
    destroy: async () => {
      try {
        stop();
      } catch {
        // not running
      }
      await admin.query('SELECT pg_drop_replication_slot($1)', [name]).catch(() => undefined);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return replica;
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
