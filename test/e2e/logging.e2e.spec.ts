import { freePort, spawnNode, terminate, waitForReady } from '../support/process';

/** Structured JSON logs with a request id that follows the request into its command; no secrets. */
jest.setTimeout(60_000);

it('logs JSON lines that carry the request id into the command, and never a credential', async () => {
  const port = await freePort();
  const server = spawnNode('dist/src/main.js', [], { PORT: String(port), LOG_LEVEL: 'info', METRICS_CRON_ENABLED: 'false' });
  let generatedId: string | null = null;
  try {
    await waitForReady(port, server);
    const url = `http://127.0.0.1:${port}`;
    const given = await fetch(`${url}/api/metrics`, {
      method: 'POST',
      headers: { 'X-Request-Id': 'trace-42', Authorization: 'Bearer tsk_do-not-log-me', 'X-API-Key': 'tsk_nor-me' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const generated = await fetch(`${url}/api/events?limit=1`, { headers: { 'X-Request-Id': 'not a valid id; drop table' } });
    generatedId = generated.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    expect((await terminate(server)).code).toBe(0);
  }
  const lines = server.output().trim().split('\n');
  const entries = lines.map((line) => JSON.parse(line)); // every line is JSON
  const forRequest = entries.filter((e) => e.reqId === 'trace-42');
  expect(forRequest.map((e) => e.msg)).toEqual(['incoming request', expect.stringMatching(/^http run: computed/), 'request completed']);
  expect(forRequest[0].req).toEqual({ method: 'POST', url: '/api/metrics' });
  expect(forRequest[1].context).toBe('ComputeActivityMetrics');
  expect(forRequest[2].res).toEqual({ statusCode: 200 });
  const other = entries.filter((e) => e.reqId === generatedId);
  expect(other.map((e) => e.msg)).toEqual(['incoming request', 'request completed']);
  expect(other[0].req.url).toBe('/api/events?limit=1');
  const output = server.output();
  expect(output).not.toContain('do-not-log-me');
  expect(output).not.toContain('nor-me');
  const password = new URL(process.env.DATABASE_URL!).password;
  expect(output).not.toContain(`:${password}@`);
});

it('redacts credentials sent in a query string, and logs no credential header, at every level', async () => {
  const port = await freePort();
  const server = spawnNode('dist/src/main.js', [], { PORT: String(port), LOG_LEVEL: 'trace', METRICS_CRON_ENABLED: 'false', REQUIRE_API_KEYS: 'true' });
  try {
    await waitForReady(port, server);
    const url = `http://127.0.0.1:${port}`;
    const secretHeaders = { Authorization: 'Bearer tsk_header-secret-1', 'X-API-Key': 'tsk_header-secret-2', Cookie: 'session=cookie-secret-3' };
    const sent = [
      fetch(`${url}/api/events?api_key=tsk_query-secret-1&limit=1`, { headers: { 'X-Request-Id': 'redact-1' } }),
      fetch(`${url}/api/events?limit=2&key=tsk_query-secret-2`),
      fetch(`${url}/api/events?access_token=query-secret-3&token=query-secret-4&password=query-secret-5`, { headers: secretHeaders }),
      fetch(`${url}/nothing-here?apiKey=query-secret-6`, { headers: secretHeaders }),
      fetch(`${url}/api/event?client_secret=query-secret-7`, { method: 'POST', headers: { ...secretHeaders, 'Content-Type': 'application/json' }, body: '{broken' }),
      fetch(`${url}/api/event?auth=query-secret-8`, { method: 'POST', headers: { ...secretHeaders, 'Content-Type': 'text/plain' }, body: 'x' }),
      fetch(`${url}/api/events?q=tsk_query-secret-9`, { headers: secretHeaders }),
    ];
    const statuses = (await Promise.all(sent)).map((res) => res.status);
    expect(statuses.every((status) => status >= 400)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    expect((await terminate(server)).code).toBe(0);
  }
  const output = server.output();
  const entries = output.trim().split('\n').map((line) => JSON.parse(line));
  const first = entries.find((e) => e.reqId === 'redact-1' && e.req);
  expect(first.req).toEqual({ method: 'GET', url: '/api/events?api_key=[REDACTED]&limit=1' });
  expect(entries.filter((e) => e.req?.url?.includes('[REDACTED]'))).toHaveLength(7);
  expect(output).not.toMatch(/query-secret|header-secret|cookie-secret/);
});
