import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  serverUser,
  SHARED_BINARIES_ROOT,
  SHARED_DATA_ROOT,
  sharedDataDir,
} from '../../src/shared/database/embedded-postgres-location';
import { freePort, ROOT, spawnNode, Spawned, terminate, waitFor, waitForReady } from '../support/process';
import { startTestCluster, startTestPostgres, stopTestPostgres } from '../support/test-postgres';

/**
 * A newcomer's first run: a fresh clone, as root, in a folder OS user postgres (who runs the
 * embedded server for root) cannot enter, and failures of the embedded database.
 */
jest.setTimeout(120_000);

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  console.log('first-run.e2e: skipped the mode-700 clone tests: they need root (only root runs the embedded server as OS user postgres)');
}

const running: Spawned[] = [];
afterAll(() => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

/** Lines of output, without blanks. */
function lines(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '');
}

(isRoot ? describe : describe.skip)('a clone in a mode-700 folder, run as root', () => {
  // A "clone": the build, package.json and a hard-linked copy of node_modules (not a symlink
  // to this checkout's, which user postgres can reach), inside a folder only root may enter.
  const base = mkdtempSync(join(tmpdir(), 'first-run-'));
  const app = join(base, 'app');
  const configured = join(app, '.data', 'postgres');
  beforeAll(() => {
    expect(statSync(base).mode & 0o777).toBe(0o700);
    mkdirSync(app);
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(app, 'node_modules')]);
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
    rmSync(sharedDataDir(configured), { recursive: true, force: true });
  });

  it('npm start serves, keeps its data in the shared folder derived from .data/postgres, and exits 0 on SIGTERM', async () => {
    const [port, pgPort] = await Promise.all([freePort(), freePort()]);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', LOG_LEVEL: 'info', PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) };
    delete env.DATABASE_URL;
    delete env.EMBEDDED_PG_DIR;
    const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: app, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const server: Spawned = { child, output: () => output, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
    running.push(server);

    await waitForReady(port, server, 90_000);
    const dataDir = sharedDataDir(configured);
    expect(dataDir.startsWith(`${SHARED_DATA_ROOT}/`)).toBe(true);
    expect(output).toContain(`data kept in ${dataDir}`);
    // Logged just after the port opens, so possibly after the first ready answer.
    await waitFor(async () => output.includes(`(data in ${dataDir})`), 10_000, 'the startup line naming the data folder');
    expect(statSync(join(dataDir, 'PG_VERSION')).uid).toBe(serverUser().uid);
    expect(existsSync(join(configured, 'PG_VERSION'))).toBe(false);
    // The server runs from the root-owned copy of the binaries, not from the clone.
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(readlinkSync(`/proc/${postmaster}/exe`).startsWith(`${SHARED_BINARIES_ROOT}/postgres-`)).toBe(true);
    // Nothing of the user's was opened up.
    expect(statSync(base).mode & 0o777).toBe(0o700);
    expect(output).not.toMatch(/\n\s+at /);

    const stop = await terminate(server);
    expect(stop.code).toBe(0);
  });

  it("npm test's cluster starts for such a project, and pg_ctl restarts it", async () => {
    const cluster = await startTestCluster(app);
    const query = async () => {
      const client = new Client({ connectionString: cluster.url });
      await client.connect();
      try {
        return (await client.query('SELECT 1 AS one')).rows[0];
      } finally {
        await client.end();
      }
    };
    try {
      expect(cluster.dir.startsWith(`${app}/.data/test-pg-`)).toBe(true);
      expect(cluster.dataDir).toBe(sharedDataDir(cluster.dir));
      expect(await query()).toEqual({ one: 1 });
      stopTestPostgres(cluster);
      startTestPostgres(cluster);
      expect(await query()).toEqual({ one: 1 });
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dataDir)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});

describe('a failing embedded database', () => {
  const dir = mkdtempSync(join(ROOT, '.data', 'first-run-fail-'));
  let squatter: Server | undefined;
  afterAll(() => {
    squatter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fails(env: Record<string, string>): Promise<string> {
    const [port, pgPort] = await Promise.all([freePort(), freePort()]);
    const server = spawnNode('dist/src/main.js', [], { DATABASE_URL: undefined, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), ...env });
    running.push(server);
    expect(await server.exited).toBe(1);
    expect(server.output()).not.toMatch(/\n\s+at |Unhandled|node:internal/);
    expect(lines(server.output())).toHaveLength(1);
    return server.output();
  }

  it('EMBEDDED_PG_DIR naming a file ends it with exit 1 and one line saying what to do', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const output = await fails({ EMBEDDED_PG_DIR: file });
    expect(output).toContain(`${file} (EMBEDDED_PG_DIR) is not a folder: set EMBEDDED_PG_DIR to a folder`);
  });

  it('a port held by a program that is not PostgreSQL ends it with exit 1 and one line saying what to do', async () => {
    const pgPort = await freePort();
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter!.listen(pgPort, '127.0.0.1', resolve));
    const output = await fails({ EMBEDDED_PG_DIR: join(dir, 'pg'), EMBEDDED_PG_PORT: String(pgPort) });
    expect(output).toContain(`port ${pgPort} on 127.0.0.1 is used by another program: set EMBEDDED_PG_PORT to a free port`);
  });
});
