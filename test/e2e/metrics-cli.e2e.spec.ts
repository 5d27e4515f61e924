import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { openTestDataSource } from '../support/database';
import { truncateAll } from '../support/test-app';
import { WINDOW_MARKING_PROJECTION } from '../../src/metrics/adapters/persistence/window-marking.projection';
import { uuidv7 } from '../../src/shared/uuid';
import { EventOrmEntity } from '../../src/tracking/adapters/persistence/event.orm-entity';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { EventWriteProjections } from '../../src/tracking/application/event-write-projections';
import { freePort, ROOT, spawnNode, terminate, waitForReady } from '../support/process';
import { sharedDataDir } from '../../src/shared/database/embedded-postgres-location';

/** `npm run metrics:calculate` (the compiled CLI, built by pretest): output and exit codes. */
jest.setTimeout(90_000);

const CLI = 'dist/cmd/calculate-metrics.js';

async function withDb<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const cli = spawnNode(CLI, args, env);
  const code = await cli.exited;
  return { code, output: cli.output() };
}

describe('calculate-metrics CLI against DATABASE_URL', () => {
  beforeAll(async () => {
    // Events of two past windows, stored the way the service stores them (ledger included).
    const db = await openTestDataSource([EventOrmEntity]);
    try {
      await truncateAll(db);
      const projections = new EventWriteProjections();
      projections.register(WINDOW_MARKING_PROJECTION);
      const store = new TypeOrmEventRepository(db.getRepository(EventOrmEntity), projections);
      const event = (userId: string, action: string, at: string) =>
        ({ id: uuidv7(), userId, action, occurredAt: new Date(at), receivedAt: new Date(), metadata: {}, siteId: null, path: null });
      await store.insertNew([
        event('cli-1', 'a', '2025-10-23T09:00:00Z'),
        event('cli-2', 'a', '2025-10-23T09:10:00Z'),
        event('cli-1', 'b', '2025-10-23T13:00:00Z'),
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('computes pending windows, prints a summary and exits 0; a second run has nothing to do', async () => {
    const first = await run([]);
    expect(first.code).toBe(0);
    expect(first.output).toContain('Computed 2 window(s)');
    expect(first.output).toContain('2025-10-23T08:00:00.000Z – 2025-10-23T12:00:00.000Z  2 users, 2 events');
    const second = await run([]);
    expect(second.code).toBe(0);
    expect(second.output).toContain('Nothing to compute');
    const triggers = await withDb(async (db) => (await db.query('SELECT DISTINCT trigger FROM metric_windows')).rows);
    expect(triggers).toEqual([{ trigger: 'cli' }]);
  });

  it('backfills a range and prints one JSON object with --json', async () => {
    const res = await run(['--from', '2025-10-23T00:00:00Z', '--till=2025-10-24T00:00:00Z', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.output)).toEqual({
      windows: [
        { window_start: '2025-10-23T08:00:00.000Z', window_end: '2025-10-23T12:00:00.000Z', users: 2, events: 2, status: 'computed' },
        { window_start: '2025-10-23T12:00:00.000Z', window_end: '2025-10-23T16:00:00.000Z', users: 1, events: 1, status: 'computed' },
      ],
    });
  });

  it.each([
    [['--from', '2025-10-23T00:00:00Z'], '--from and --till go together'],
    [['--from', '2025-10-23T00:00:00', '--till', '2025-10-24T00:00:00Z'], 'time zone'],
    [['--bogus'], 'unknown argument'],
    [['--from', '2025-10-24T00:00:00Z', '--till', '2025-10-23T00:00:00Z'], 'till: must be after from'],
  ])('exits 2 on bad arguments %j', async (args, message) => {
    const res = await run(args);
    expect(res.code).toBe(2);
    expect(res.output).toContain(message);
  });

  it('exits 1 with one line and no stack trace when the database is unreachable', async () => {
    const port = await freePort();
    const res = await run([], { DATABASE_URL: `postgres://user:secret-password@127.0.0.1:${port}/nothing` });
    expect(res.code).toBe(1);
    const lines = res.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: metrics computation failed: .*ECONNREFUSED/);
    expect(res.output).not.toContain('secret-password');
    expect(res.output).not.toMatch(/\n\s+at /);
  });
});

describe('calculate-metrics CLI without DATABASE_URL', () => {
  const dir = mkdtempSync(join(ROOT, '.data', 'cli-test-'));
  chmodSync(dir, 0o755);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    // Where the data went if OS user postgres could not reach dir (a checkout under /root).
    rmSync(sharedDataDir(join(dir, 'pg')), { recursive: true, force: true });
  });

  it('uses the embedded database of npm start, whether or not the server is running', async () => {
    const [port, pgPort] = await Promise.all([freePort(), freePort()]);
    const env = { DATABASE_URL: undefined, PORT: String(port), EMBEDDED_PG_DIR: join(dir, 'pg'), EMBEDDED_PG_PORT: String(pgPort) };

    // Server not running: the CLI starts the embedded database itself (and stops it again).
    const alone = await run(['--json'], env);
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.output)).toEqual({ windows: [] });

    // Server running: the CLI joins its database and leaves it running.
    const server = spawnNode('dist/src/main.js', [], { ...env, LOG_LEVEL: 'warn' });
    try {
      await waitForReady(port, server, 60_000);
      const created = await fetch(`http://127.0.0.1:${port}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user_id: 1, action: 'x', timestamp: '2025-10-23T09:00:00Z' }),
      });
      expect(created.status).toBe(201);
      const joined = await run(['--json'], env);
      expect(joined.code).toBe(0);
      expect(JSON.parse(joined.output).windows).toEqual([expect.objectContaining({ window_start: '2025-10-23T08:00:00.000Z', users: 1 })]);
      const metrics = await fetch(`http://127.0.0.1:${port}/api/metrics`);
      expect(((await metrics.json()) as { data: unknown[] }).data).toHaveLength(1);
    } finally {
      expect((await terminate(server)).code).toBe(0);
    }
  });
});
