import { READY_CACHE_MS } from '../../src/health/health.controller';
import { startTestApp, TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { canRestartTestPostgres, startTestPostgres, stopTestPostgres } from '../support/test-postgres';

describe('operations routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('sets citus.max_cached_conns_per_worker from CITUS_CACHED_CONNECTIONS on every service connection', async () => {
    // On Citus this keeps the per-shard connections of multi-shard writes open between statements;
    // on plain PostgreSQL it is an unused placeholder, which must not stop anything from working.
    const other = await startTestApp({ CITUS_CACHED_CONNECTIONS: '7' });
    try {
      const seen = await Promise.all(
        Array.from({ length: 3 }, () => other.db.query(`SELECT current_setting('citus.max_cached_conns_per_worker') AS n, pg_sleep(0.05)`)),
      );
      expect(seen.map(([row]) => row.n)).toEqual(['7', '7', '7']);
      const res = await other.http().post('/api/event').send({ user_id: 'u1', action: 'click' });
      expect(res.status).toBe(201);
    } finally {
      await other.close();
    }
  });

  it('GET /health/live answers 200 without touching the database', async () => {
    const res = await t.http().get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready reports the database and the schema up', async () => {
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, schema: { status: 'up' } } });
  });

  it('GET /health/ready checks the database at most once per READY_CACHE_MS, however many calls arrive', async () => {
    await new Promise((r) => setTimeout(r, READY_CACHE_MS)); // no answer left from the test before
    const queries = jest.spyOn(t.db, 'query');
    const pings = () => queries.mock.calls.filter(([sql]) => sql === 'SELECT 1').length;
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 60 }, () => t.http().get('/health/ready')));
      const intervals = Math.floor((Date.now() - started) / READY_CACHE_MS) + 1;
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(answers[59].body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, schema: { status: 'up' } } });
      expect(pings()).toBeGreaterThanOrEqual(1);
      expect(pings()).toBeLessThanOrEqual(intervals);
      // Once the interval is over, the next call checks again.
      await new Promise((r) => setTimeout(r, READY_CACHE_MS + 50));
      const before = pings();
      expect((await t.http().get('/health/ready')).status).toBe(200);
      expect(pings()).toBe(before + 1);
    } finally {
      queries.mockRestore();
    }
  });

  it('serves Swagger UI at /docs, with assets that its content security policy allows', async () => {
    const res = await t.http().get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
    expect(res.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    const script = res.text.match(/src="\.?\/?([^"]*swagger-ui-bundle\.js)"/);
    expect(script).not.toBeNull();
    expect((await t.http().get(`/docs/${script![1].replace(/^docs\//, '')}`)).status).toBe(200);
  });

  it('sends security headers on API responses', async () => {
    const res = await t.http().get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('documents every route with its success and error responses, with examples', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    const guarded = ['401', '403', '429', '500'];
    const expected: Record<string, Record<string, string[]>> = {
      '/api/event': { post: ['201', '200', '400', '413', '415', '503', ...guarded] },
      '/api/events/batch': { post: ['200', '400', '413', '415', '503', ...guarded] },
      '/api/event/validate': { post: ['200', '400', '413', '415', '503', ...guarded] },
      '/api/events/{id}': { get: ['200', '400', '404', '503', ...guarded] },
      '/api/events': { get: ['200', '400', '503', ...guarded] },
      '/api/metrics': { post: ['200', '400', '413', '415', '503', ...guarded], get: ['200', '400', '503', ...guarded] },
      '/api/metrics/windows': { get: ['200', '400', '503', ...guarded] },
      '/health/live': { get: ['200', '500'] },
      '/health/ready': { get: ['200', '500', '503'] },
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const operation = doc.paths[path]?.[method];
        expect(operation).toBeDefined();
        expect(Object.keys(operation.responses).sort()).toEqual([...statuses].sort());
        for (const status of statuses.filter((s) => Number(s) >= 400 && path.startsWith('/api'))) {
          expect(operation.responses[status].content['application/problem+json']).toBeDefined();
        }
      }
    }
    const event = doc.components.schemas.RecordEventDto;
    expect(event.required).toEqual(expect.arrayContaining(['user_id', 'action']));
    expect(event.properties.timestamp.example).toBeDefined();
    expect(doc.components.schemas.ProblemResponse.properties.errors).toBeDefined();
  });

  it('exports Prometheus metrics that move as requests are made', async () => {
    const value = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const created = 'tracking_events_total{outcome="created"}';
    const rejected = 'tracking_events_total{outcome="rejected"}';
    const posted = 'http_requests_total{method="POST",route="/api/event",status="201"}';
    const runs = 'metrics_computations_total{trigger="http"}';
    const before = (await t.http().get('/metrics')).text;

    await t.http().post('/api/event').send({ user_id: 'prom', action: 'a' }).expect(201);
    await t.http().post('/api/events/batch').send({ events: [{ user_id: 'prom', action: 'b' }, { user_id: 'prom' }] }).expect(200);
    await t.http().post('/api/metrics').expect(200);
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const after = res.text;

    expect(value(after, created) - value(before, created)).toBe(2);
    expect(value(after, rejected) - value(before, rejected)).toBe(1);
    expect(value(after, posted) - value(before, posted)).toBe(1);
    expect(value(after, runs) - value(before, runs)).toBe(1);
    expect(after).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/event",status="201"\}/);
    expect(after).toContain('tracking_batch_size_events_count');
    expect(after).toMatch(/^tracking_write_queue_events 0$/m);
    expect(after).toMatch(/^db_pool_connections\{state="total"\} \d+$/m);
    expect(after).toContain('metrics_computation_duration_seconds_bucket');
    expect(after).toContain('process_cpu_seconds_total');
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.http().get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });
});

describe('when the test PostgreSQL is stopped and started again', () => {
  const maybe = canRestartTestPostgres() ? it : it.skip;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  maybe('answers 503 at once (under 500 ms), stays live, and recovers by itself without a restart', async () => {
    await t.http().post('/api/event').send({ user_id: 'pg-stop', action: 'before' }).expect(201);
    stopTestPostgres();
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const write = await t.http().post('/api/event').send({ user_id: 'pg-stop', action: 'during' });
        expect(write.status).toBe(503);
        expect(write.headers['retry-after']).toMatch(/^\d+$/);
        // At once: far below the 3 s connect timeout a waiting request would spend (100 ms was
        // the bound until a lost key-change connection made each request try the database).
        expect(Date.now() - started).toBeLessThan(500);
      }
      await new Promise((r) => setTimeout(r, READY_CACHE_MS)); // the cached answer expires
      expect((await t.http().get('/health/ready')).status).toBe(503);
      expect((await t.http().get('/health/live')).status).toBe(200);
    } finally {
      startTestPostgres();
    }
    let status = 0;
    const deadline = Date.now() + 10_000;
    while (status !== 201 && Date.now() < deadline) {
      status = (await t.http().post('/api/event').send({ user_id: 'pg-stop', action: 'after' })).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(201);
    await new Promise((r) => setTimeout(r, READY_CACHE_MS));
    expect((await t.http().get('/health/ready')).status).toBe(200);
    const actions = (await t.http().get('/api/events?order=asc&user_id=pg-stop')).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['before', 'after']);
  });
});

describe('when the connection to the database is cut (works with any DATABASE_URL)', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  beforeAll(async () => {
    proxy = TcpProxy.forUrl(process.env.DATABASE_URL!);
    await proxy.start();
    t = await startTestApp({ DATABASE_URL: proxy.rewrite(process.env.DATABASE_URL!) });
  });
  afterAll(async () => {
    await proxy.restore();
    await t.close();
    await proxy.stop();
  });

  it('answers 503 with Retry-After, stays live, and recovers by itself when it returns', async () => {
    await t.http().post('/api/event').send({ user_id: 'outage', action: 'before' }).expect(201);
    expect((await t.http().get('/health/ready')).status).toBe(200);
    await proxy.cut();
    const cutAt = Date.now();

    const write = await t.http().post('/api/event').send({ user_id: 'outage', action: 'during' });
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toMatch(/^\d+$/);
    expect(write.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(write.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);
    expect((await t.http().get('/api/events')).status).toBe(503);
    // The cached readiness answer turns 503 within READY_CACHE_MS (plus the check's 1 s timeout).
    let ready = (await t.http().get('/health/ready')).status;
    while (ready === 200 && Date.now() - cutAt < READY_CACHE_MS + 1500) {
      await new Promise((r) => setTimeout(r, 100));
      ready = (await t.http().get('/health/ready')).status;
    }
    expect(ready).toBe(503);
    expect((await t.http().get('/health/live')).status).toBe(200);

    await proxy.restore();
    let recovered = 0;
    for (let attempt = 0; attempt < 50 && recovered !== 201; attempt++) {
      recovered = (await t.http().post('/api/event').send({ user_id: 'outage', action: 'after' })).status;
      if (recovered !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(201);
    await new Promise((r) => setTimeout(r, READY_CACHE_MS));
    expect((await t.http().get('/health/ready')).status).toBe(200);
    const actions = (await t.http().get('/api/events?order=asc&user_id=outage')).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['before', 'after']);
    expect(actions).not.toContain('during');
  });
});

/** "At once" on one PostgreSQL; on the Citus suite (three servers on one shared machine) a request takes longer to be served at all. */
const AT_ONCE_MS = process.env.TEST_DATABASE_IN_PLACE === '1' ? 3000 : 1000;

describe('backpressure when the database cannot keep up', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ WRITE_QUEUE_MAX_EVENTS: '40' });
    await t.reset();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses writes beyond the queue bound at once with 503, stores the accepted ones when it catches up', async () => {
    // Another session holds a lock that blocks every insert into events.
    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE events IN EXCLUSIVE MODE');

    const sends = Array.from({ length: 120 }, (_, i) => {
      const started = Date.now();
      return t
        .http()
        .post('/api/event')
        .send({ user_id: 'pressure', action: 'x', metadata: { i } })
        .then((res) => ({ status: res.status, retryAfter: res.headers['retry-after'], ms: Date.now() - started }));
    });
    // The writes are let through once the queue has refused one (it is full), or after 20 s;
    // a fixed wait raced the machine's load: a slow server had not queued 40 requests yet.
    let firstRefusal!: () => void;
    const refusedOne = new Promise<void>((r) => (firstRefusal = r));
    sends.forEach((p) => void p.then((a) => a.status === 503 && firstRefusal()));
    await Promise.race([refusedOne, new Promise((r) => setTimeout(r, 20_000))]);
    await blocker.commitTransaction();
    await blocker.release();
    const answers = await Promise.all(sends);

    const refused = answers.filter((a) => a.status === 503);
    const created = answers.filter((a) => a.status === 201);
    expect(refused.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThan(0);
    expect(created.length + refused.length).toBe(120);
    for (const a of refused) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(a.ms).toBeLessThan(AT_ONCE_MS); // refused at once, not after waiting for the lock
    }
    const [{ n }] = await t.db.query("SELECT count(*)::int AS n FROM events WHERE user_id = 'pressure'");
    expect(n).toBe(created.length);
    // Once the database keeps up again, writes are accepted as before.
    expect((await t.http().post('/api/event').send({ user_id: 'pressure', action: 'after' })).status).toBe(201);
  });
});

describe('CORS', () => {
  it('is off by default and allows exactly CORS_ORIGINS when set', async () => {
    const closed = await startTestApp();
    const open = await startTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const preflight = (app: TestApp, origin: string) =>
        app.http().options('/api/event').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,x-api-key');
      expect((await preflight(closed, 'https://app.example.com')).headers['access-control-allow-origin']).toBeUndefined();
      const allowed = await preflight(open, 'https://app.example.com');
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect((await preflight(open, 'https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
      const simple = await open.http().get('/health/live').set('Origin', 'https://app.example.com');
      expect(simple.headers['access-control-allow-origin']).toBe('https://app.example.com');
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
