import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openTestDataSource } from '../support/database';
import { freePort, spawnNode, Spawned, waitForReady } from '../support/process';

/**
 * A success response is a promise: events sent continuously by many clients, the service
 * killed with SIGKILL mid-stream (no shutdown hooks, group-commit batches in flight),
 * restarted — every event that got a 201/200 must be stored, exactly once.
 */
jest.setTimeout(120_000);

describe('crash safety', () => {
  let server: Spawned | undefined;
  afterAll(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('keeps every acknowledged event after a SIGKILL in the middle of a load', async () => {
    await (await openTestDataSource([])).destroy();
    const port = await freePort();
    const env = { PORT: String(port), LOG_LEVEL: 'error', METRICS_CRON_ENABLED: 'false' };
    server = spawnNode('dist/src/main.js', [], env);
    await waitForReady(port, server);

    const acknowledged = new Set<string>();
    let refused = 0;
    let running = true;
    const url = `http://127.0.0.1:${port}`;
    const send = async (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    // 16 clients sending single events, 4 sending batches of 25, until the service dies.
    const singles = Array.from({ length: 16 }, async (_, c) => {
      while (running) {
        const id = randomUUID();
        try {
          const res = await send('/api/event', { event_id: id, user_id: `crash-${c}`, action: 'crash_test' });
          if (res.status === 201 || res.status === 200) acknowledged.add(id);
        } catch {
          refused++;
        }
      }
    });
    const batches = Array.from({ length: 4 }, async (_, c) => {
      while (running) {
        const ids = Array.from({ length: 25 }, () => randomUUID());
        try {
          const res = await send('/api/events/batch', { events: ids.map((id) => ({ event_id: id, user_id: `crash-b${c}`, action: 'crash_test' })) });
          if (res.status === 200) {
            const body = (await res.json()) as { results: Array<{ status: string; id?: string }> };
            for (const r of body.results) if (r.status === 'created' || r.status === 'duplicate') acknowledged.add(r.id!);
          }
        } catch {
          refused++;
        }
      }
    });

    while (acknowledged.size < 3000) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    await server.exited;
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await Promise.all([...singles, ...batches]);
    expect(refused).toBeGreaterThan(0); // the kill really did land mid-stream

    server = spawnNode('dist/src/main.js', [], env);
    await waitForReady(port, server);

    const ids = [...acknowledged];
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT id, count(*)::int AS n FROM events WHERE id = ANY($1::uuid[]) GROUP BY id', [ids]);
      expect(rows.length).toBe(ids.length);
      expect(rows.every((row: { n: number }) => row.n === 1)).toBe(true);
    } finally {
      await db.end();
    }

    // After the restart a retry of an acknowledged event is a duplicate, not a second row.
    const retry = await send('/api/event', { event_id: ids[0], user_id: 'crash-0', action: 'crash_test' });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { status: string }).status).toBe('duplicate');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
