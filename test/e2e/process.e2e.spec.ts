import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, ROOT, spawnNode, Spawned, terminate, waitForReady } from '../support/process';
import { sharedDataDir } from '../../src/shared/database/embedded-postgres-location';

/**
 * The compiled service as `npm start` runs it (built by `pretest`): embedded PostgreSQL by
 * default, persistent across restarts, an external server with DATABASE_URL, clean exits.
 */
jest.setTimeout(90_000);

const running: Spawned[] = [];
afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

function start(env: Record<string, string | undefined>): Spawned {
  const server = spawnNode('dist/src/main.js', [], { LOG_LEVEL: 'info', ...env });
  running.push(server);
  return server;
}

describe('npm start without DATABASE_URL', () => {
  const dir = mkdtempSync(join(ROOT, '.data', 'start-test-'));
  chmodSync(dir, 0o755); // the embedded server runs as user postgres when we are root
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    // Where the data went if OS user postgres could not reach dir (a checkout under /root).
    rmSync(sharedDataDir(join(dir, 'pg')), { recursive: true, force: true });
  });

  it('runs an embedded PostgreSQL that keeps its data across restarts and stops with the service', async () => {
    const [port, pgPort] = await Promise.all([freePort(), freePort()]);
    const env = { DATABASE_URL: undefined, PORT: String(port), EMBEDDED_PG_DIR: join(dir, 'pg'), EMBEDDED_PG_PORT: String(pgPort) };

    const first = start(env);
    await waitForReady(port, first, 60_000);
    expect(first.output()).toContain(`embedded PostgreSQL: postgres://postgres:***@127.0.0.1:${pgPort}/tracking`);
    expect(first.output()).not.toMatch(/postgres:postgres@/);
    const created = await fetch(`http://127.0.0.1:${port}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: 7, action: 'persisted', timestamp: '2025-10-23T13:07:00Z' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const stop = await terminate(first);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    // The embedded server went down with the service.
    const probe = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'postgres', database: 'postgres' });
    await expect(probe.connect()).rejects.toThrow();

    const second = start(env);
    await waitForReady(port, second, 60_000);
    const again = await fetch(`http://127.0.0.1:${port}/api/events/${id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id, action: 'persisted', user_id: '7' });
    expect((await terminate(second)).code).toBe(0);
  });
});

describe('npm start with DATABASE_URL', () => {
  it('uses that server, starts no embedded one, and finishes in-flight requests on SIGTERM', async () => {
    const port = await freePort();
    const unusedDir = join(ROOT, '.data', `never-created-${port}`);
    const server = start({ PORT: String(port), EMBEDDED_PG_DIR: unusedDir });
    await waitForReady(port, server);
    expect(server.output()).toContain('database: postgres://');
    expect(existsSync(unusedDir)).toBe(false);

    const marker = `inflight-${port}`;
    const requests = Array.from({ length: 20 }, () =>
      fetch(`http://127.0.0.1:${port}/api/events/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: Array.from({ length: 500 }, (_, i) => ({ user_id: i, action: marker })) }),
      }).then(
        async (res) => ({ status: res.status, body: (await res.json()) as { created: number } }),
        () => ({ status: 0, body: { created: 0 } }),
      ),
    );
    // SIGTERM goes out once the first request is acknowledged, so the others are in flight or queued
    // (a fixed delay raced the machine's load: under CI load no request had been answered yet).
    let firstAck!: () => void;
    const acked = new Promise<void>((r) => (firstAck = r));
    requests.forEach((p) => void p.then((a) => a.status === 200 && firstAck()));
    await Promise.race([acked, Promise.all(requests)]);
    const stop = terminate(server);
    const answers = await Promise.all(requests);
    const { code } = await stop;
    if (code !== 0) console.log(server.output());
    expect(code).toBe(0);
    // Every request either completed or was refused; whatever was acknowledged is stored.
    const acknowledged = answers.filter((a) => a.status === 200).reduce((sum, a) => sum + a.body.created, 0);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM events WHERE action = $1', [marker])).rows;
    await db.end();
    expect(n).toBe(acknowledged);
  });

  it('refuses to start on a bad configuration value, naming the variable', async () => {
    const server = start({ PORT: 'eighty' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('PORT must be a port number');
  });
});
