import { randomUUID } from 'node:crypto';
import { ReadDatabase, ReplicaState } from '../../src/shared/database/read-database';
import { startReplica, TestReplica } from '../support/replica';
import { startTestApp, TestApp } from '../support/test-app';
import { startTestCluster, TestCluster } from '../support/test-postgres';

/**
 * Read replicas (DATABASE_READ_URLS) against a real hot-standby replica streaming from its own
 * throw-away primary (test/support/replica.ts). Pausing the replica's WAL replay makes it
 * visibly stale, which proves which server answered each route.
 */
const MAX_LAG_MS = 3000;
jest.setTimeout(90_000);

let primary: TestCluster;
let replica: TestReplica;
let t: TestApp;
let reads: ReadDatabase;
let replicaName: string;

beforeAll(async () => {
  primary = await startTestCluster(process.cwd());
  replica = await startReplica(primary);
  t = await startTestApp({
    DATABASE_URL: primary.url,
    DATABASE_READ_URLS: replica.url,
    READ_MAX_LAG_MS: String(MAX_LAG_MS),
    READ_CHECK_INTERVAL_MS: '100',
  });
  reads = t.app.get(ReadDatabase);
  replicaName = `127.0.0.1:${replica.port}/tracking_test`;
  await replica.caughtUp(); // the migrations the app just applied
  await untilState('healthy');
});

afterAll(async () => {
  await t?.close();
  await replica?.destroy();
  await primary?.stop();
});

afterEach(async () => {
  // Whatever a test did, the next starts from a running, replaying, caught-up replica.
  try {
    replica.start();
  } catch {
    // already running
  }
  await replica.resumeReplay().catch(() => undefined);
  await replica.caughtUp();
  await untilState('healthy');
});

const post = async (body: Record<string, unknown>): Promise<string> => {
  const res = await t.http().post('/api/event').send(body).expect(201);
  return res.body.id;
};
const listIds = async (query: string): Promise<string[]> => {
  const res = await t.http().get(`/api/events?${query}`).expect(200);
  return res.body.data.map((e: { id: string }) => e.id);
};

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const untilState = (state: ReplicaState, timeoutMs?: number) =>
  until(`replica ${state}`, async () => reads.status()[0], (s) => s.state === state, timeoutMs);

const readyReplica = async () => {
  const res = await t.http().get('/health/ready');
  return { status: res.status, body: res.body, replica: res.body.details?.replicas?.replicas?.[0] };
};

/** The value of one sample of /metrics, or undefined when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = (await t.http().get('/metrics').expect(200)).text;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe('read routing', () => {
  it('answers list, metrics, ledger, analytics and compat reads from the replica: stale while its replay is paused, fresh after', async () => {
    const site = `site-${randomUUID()}`;
    const user = `u-${randomUUID()}`;
    // Connections of the read pool are on the replica, under their own application_name.
    await listIds(`user_id=${user}`);
    const onReplica = await replica.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tracking-service-read'`,
    );
    expect(onReplica[0].n).toBeGreaterThan(0);

    await replica.pauseReplay();
    const id = await post({ user_id: user, action: 'page_view', timestamp: '2025-01-06T10:00:00Z', site_id: site, path: '/a' });
    const computed = await t.http().post('/api/metrics').send({ from: '2025-01-06T08:00:00Z', till: '2025-01-06T12:00:00Z' }).expect(200);
    expect(computed.body.windows).toHaveLength(1); // the computation ran on the primary, which has the event

    // Within READ_MAX_LAG_MS the replica keeps serving: every read route is stale.
    expect(await listIds(`user_id=${user}`)).toEqual([]);
    expect((await t.http().get(`/api/metrics?user_id=${user}`).expect(200)).body.data).toEqual([]);
    expect((await t.http().get('/api/metrics/windows?from=2025-01-06T08:00:00Z&till=2025-01-06T12:00:00Z').expect(200)).body.data).toEqual([]);
    const staleOverview = await t.http().get(`/api/analytics/overview?site_id=${site}`).expect(200);
    expect(staleOverview.body.total_events).toBe(0);
    const staleActive = await t.http().get(`/api/analytics/active-users?interval=day&from=2025-01-06&to=2025-01-06&site_id=${site}`).expect(200);
    expect(staleActive.body.data).toEqual([{ period_start: '2025-01-06', unique_users: 0 }]);
    expect((await t.http().get(`/stats?site_id=${site}`).expect(200)).body.total_views).toBe(0); // compat (seed 004)
    expect((await t.http().get(`/api/reporting/stats?site_id=${site}`)).status).toBe(404); // compat (seed 001): "no data" as far as the replica knows
    expect(reads.status()[0].state).toBe('healthy'); // still within READ_MAX_LAG_MS: not a fallback

    await replica.resumeReplay();
    await replica.caughtUp();
    expect(await listIds(`user_id=${user}`)).toEqual([id]);
    expect((await t.http().get(`/api/metrics?user_id=${user}`).expect(200)).body.data).toHaveLength(1);
    expect((await t.http().get('/api/metrics/windows?from=2025-01-06T08:00:00Z&till=2025-01-06T12:00:00Z').expect(200)).body.data).toHaveLength(1);
    expect((await t.http().get(`/api/analytics/overview?site_id=${site}`).expect(200)).body.total_events).toBe(1);
    expect((await t.http().get(`/api/analytics/active-users?interval=day&from=2025-01-06&to=2025-01-06&site_id=${site}`).expect(200)).body.data)
      .toEqual([{ period_start: '2025-01-06', unique_users: 1 }]);
    expect((await t.http().get(`/stats?site_id=${site}`).expect(200)).body.total_views).toBe(1);
    expect((await t.http().get(`/api/reporting/stats?site_id=${site}`).expect(200)).body.data.total_views).toBe(1);
  });

  it('finds an event by id right after its 201 although the replica has not replayed it (a miss there is asked of the primary)', async () => {
    await replica.pauseReplay();
    const before = (await metric('db_read_fallbacks_total', { reason: 'miss' })) ?? 0;
    const user = `u-${randomUUID()}`;
    const id = await post({ user_id: user, action: 'signup' });
    const found = await t.http().get(`/api/events/${id}`).expect(200);
    expect(found.body).toMatchObject({ id, user_id: user, action: 'signup' });
    expect(await listIds(`user_id=${user}`)).toEqual([]); // the list still comes from the paused replica
    expect(await metric('db_read_fallbacks_total', { reason: 'miss' })).toBe(before + 1);
    // An id that exists nowhere is still a 404.
    await t.http().get(`/api/events/${randomUUID()}`).expect(404);
  });
});

describe('replica health', () => {
  it('skips a replica paused beyond READ_MAX_LAG_MS (reads from the primary), shows its lag, and uses it again once it has caught up', async () => {
    const healthy = await readyReplica();
    expect(healthy.status).toBe(200);
    expect(healthy.body.details.replicas).toMatchObject({ status: 'up', reads_from: 'replicas', max_lag_ms: MAX_LAG_MS });
    expect(healthy.replica).toMatchObject({ name: replicaName, state: 'healthy', lag_ms: expect.any(Number) });
    expect(await metric('db_replica_healthy', { replica: replicaName, state: 'healthy' })).toBe(1);
    expect(await metric('db_replica_lag_seconds', { replica: replicaName })).toBeLessThan(MAX_LAG_MS / 1000);

    await replica.pauseReplay();
    const user = `u-${randomUUID()}`;
    const first = await post({ user_id: user, action: 'a' });
    expect(await listIds(`user_id=${user}`)).toEqual([]); // the replica still serves

    await untilState('lagging', MAX_LAG_MS + 10_000);
    const lagging = await until('/health/ready to show the lag', readyReplica, (r) => r.replica?.state === 'lagging');
    expect(lagging.status).toBe(200); // the primary answers: still ready
    expect(lagging.body.status).toBe('ok');
    expect(lagging.body.details.replicas.reads_from).toBe('primary');
    expect(lagging.replica.lag_ms).toBeGreaterThan(MAX_LAG_MS);
    expect(lagging.replica.lag_bytes).toBeGreaterThan(0);
    expect(await metric('db_replica_lag_seconds', { replica: replicaName })).toBeGreaterThan(MAX_LAG_MS / 1000);
    expect(await metric('db_replica_healthy', { replica: replicaName, state: 'lagging' })).toBe(0);
    // Skipped: the list is fresh now, from the primary.
    const second = await post({ user_id: user, action: 'b' });
    expect((await listIds(`user_id=${user}&order=asc`)).sort()).toEqual([first, second].sort());

    await replica.resumeReplay();
    await untilState('healthy');
    const back = await until('/health/ready to show it healthy', readyReplica, (r) => r.replica?.state === 'healthy');
    expect(back.body.details.replicas.reads_from).toBe('replicas');
    expect(back.replica.lag_ms).toBeLessThanOrEqual(MAX_LAG_MS);
    // Used again: pause it once more and the list is stale again.
    await replica.caughtUp();
    await replica.pauseReplay();
    await post({ user_id: user, action: 'c' });
    expect((await listIds(`user_id=${user}`)).length).toBe(2);
  });

  it('skips a stopped replica: reads answer from the primary at once, readiness stays up, and it serves again once restarted', async () => {
    const user = `u-${randomUUID()}`;
    // A second ReadDatabase that checks only when asked: the read itself meets the stopped replica.
    const probe = new ReadDatabase(t.db, [replica.url], { maxLagMs: MAX_LAG_MS, checkIntervalMs: 3_600_000 });
    const seen: string[] = [];
    probe.onRead = (target, fallback) => seen.push(`${target}${fallback ? `:${fallback}` : ''}`);
    await probe.checkAll();
    expect(probe.status()[0].state).toBe('healthy');
    expect(await probe.read((db) => db.query('SELECT pg_is_in_recovery() AS standby'))).toEqual([{ standby: true }]);

    replica.stop();
    // The read fails on the replica, is answered by the primary, and the replica is skipped from then on.
    expect(await probe.read((db) => db.query('SELECT pg_is_in_recovery() AS standby'))).toEqual([{ standby: false }]);
    expect(probe.status()[0]).toMatchObject({ state: 'down', error: expect.any(String) });
    expect(await probe.read((db) => db.query('SELECT pg_is_in_recovery() AS standby'))).toEqual([{ standby: false }]);
    expect(seen).toEqual(['replica', 'primary:error', 'primary']);
    await probe.onModuleDestroy();

    // Through HTTP: every read route answers (from the primary).
    const id = await post({ user_id: user, action: 'a' });
    expect(await listIds(`user_id=${user}`)).toEqual([id]);
    await t.http().get(`/api/analytics/overview`).expect(200);
    await t.http().get(`/api/metrics`).expect(200);
    await t.http().get(`/api/events/${id}`).expect(200);

    const down = await until('/health/ready to show it down', readyReplica, (r) => r.replica?.state === 'down');
    expect(down.status).toBe(200);
    expect(down.body.status).toBe('ok');
    expect(down.body.details.database.status).toBe('up');
    expect(down.body.details.replicas).toMatchObject({ status: 'up', reads_from: 'primary' });
    expect(down.replica).toMatchObject({ state: 'down', lag_ms: null, error: expect.any(String) });
    expect(await metric('db_replica_healthy', { replica: replicaName, state: 'down' })).toBe(0);
    expect(await metric('db_replica_lag_seconds', { replica: replicaName })).toBeUndefined();
    expect(await listIds(`user_id=${user}`)).toEqual([id]); // while it is down, from the primary

    replica.start();
    await untilState('healthy');
    await replica.caughtUp();
    await replica.pauseReplay();
    await post({ user_id: user, action: 'b' });
    expect(await listIds(`user_id=${user}`)).toEqual([id]); // from the replica again
  });

  it('starts, ready, with a replica that cannot be reached at all, and reads from the primary', async () => {
    const other = await startTestApp({
      DATABASE_URL: primary.url,
      DATABASE_READ_URLS: `${replica.url},postgres://postgres:postgres@127.0.0.1:1/tracking_test`,
      READ_CHECK_INTERVAL_MS: '100',
    });
    try {
      const res = await other.http().get('/health/ready').expect(200);
      expect(res.body.details.replicas.replicas).toEqual([
        expect.objectContaining({ name: replicaName, state: 'healthy' }),
        expect.objectContaining({ name: '127.0.0.1:1/tracking_test', state: 'down', error: expect.stringMatching(/ECONNREFUSED|connect/) }),
      ]);
      const user = `u-${randomUUID()}`;
      const id = await other.http().post('/api/event').send({ user_id: user, action: 'a' }).expect(201);
      await other.http().get(`/api/events/${id.body.id}`).expect(200);
      await other.http().get(`/api/events?user_id=${user}`).expect(200);
    } finally {
      await other.close();
    }
  });
});
