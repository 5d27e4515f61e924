import { startTestApp, TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';

describe('operations routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
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

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http().get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('documents every route with its success and error responses, with examples', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    const expected: Record<string, Record<string, string[]>> = {
      '/api/event': { post: ['201', '200', '400', '413', '415', '503'] },
      '/api/events/batch': { post: ['200', '400', '413', '415', '503'] },
      '/api/event/validate': { post: ['200', '400', '413', '415'] },
      '/api/events/{id}': { get: ['200', '400', '404', '503'] },
      '/api/events': { get: ['200', '400', '503'] },
      '/health/live': { get: ['200'] },
      '/health/ready': { get: ['200', '503'] },
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

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.http().get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });
});

describe('when the database goes away', () => {
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
    await proxy.cut();

    const write = await t.http().post('/api/event').send({ user_id: 'outage', action: 'during' });
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toMatch(/^\d+$/);
    expect(write.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(write.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);
    expect((await t.http().get('/api/events')).status).toBe(503);
    expect((await t.http().get('/health/ready')).status).toBe(503);
    expect((await t.http().get('/health/live')).status).toBe(200);

    await proxy.restore();
    let recovered = 0;
    for (let attempt = 0; attempt < 50 && recovered !== 201; attempt++) {
      recovered = (await t.http().post('/api/event').send({ user_id: 'outage', action: 'after' })).status;
      if (recovered !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(201);
    expect((await t.http().get('/health/ready')).status).toBe(200);
    const actions = (await t.http().get('/api/events?order=asc&user_id=outage')).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['before', 'after']);
    expect(actions).not.toContain('during');
  });
});
