import { CommandBus } from '@nestjs/cqrs';
import { connect, Socket } from 'node:net';
import { KEY_CACHE_MS } from '../../src/access/application/api-key-authenticator';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { freePort, spawnNode, Spawned, terminate, waitFor, waitForReady } from '../support/process';
import { SseClient } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * How soon an event must reach a stream: 2 s on one PostgreSQL; on the Citus suite (three
 * servers on one shared machine, every write a two-phase commit) 10 s. Latency itself is
 * measured by benchmarks, not here.
 */
const DELIVERY_MS = process.env.TEST_DATABASE_IN_PLACE === '1' ? 10_000 : 2000;

/**
 * GET /api/events/live: server-sent events of newly recorded events, fed by PostgreSQL
 * LISTEN/NOTIFY so that every replica sees what any replica wrote.
 */
jest.setTimeout(60_000);

interface Listening extends TestApp {
  url: string;
}

async function startListening(overrides: Record<string, string> = {}): Promise<Listening> {
  const app = await startTestApp(overrides);
  await app.app.listen(0, '127.0.0.1');
  const { port } = app.app.getHttpServer().address() as { port: number };
  return Object.assign(app, { url: `http://127.0.0.1:${port}` });
}

const streams: SseClient[] = [];
async function open(base: string, query = '', headers: Record<string, string> = {}): Promise<SseClient> {
  const stream = await SseClient.open(`${base}/api/events/live${query}`, headers);
  streams.push(stream);
  return stream;
}

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

async function metric(t: TestApp, name: string, key?: string): Promise<number> {
  const text = (await t.http().get('/metrics').set(key ? { 'X-API-Key': key } : {})).text;
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no metric ${name}`);
  return Number(match[1]);
}

describe('GET /api/events/live', () => {
  let t: Listening;
  beforeAll(async () => {
    t = await startListening({ LIVE_HEARTBEAT_MS: '300', CORS_ORIGINS: 'https://dashboard.example.com' });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  const listeners = async () =>
    Number(
      (await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'tracking-service live' AND datname = current_database()`))[0].n,
    );

  it('streams an event recorded by POST /api/event within 2 s, as GET /api/events/{id} shows it', async () => {
    // A process nobody watches holds no LISTEN connection; the first stream opens it.
    expect(await listeners()).toBe(0);
    const stream = await open(t.url);
    expect(await listeners()).toBe(1);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toMatch(/no-cache/);
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['x-request-id']).toMatch(/\S/);
    // The security headers of every response (set before the response is written by hand).
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    expect(stream.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(stream.retry).toBe(3000);
    expect(stream.raw.startsWith('retry: 3000\n\n')).toBe(true);
    // A browser's fetch from an allowed origin may read it (CORS headers kept as well).
    const cors = await open(t.url, '', { Origin: 'https://dashboard.example.com' });
    expect(cors.headers['access-control-allow-origin']).toBe('https://dashboard.example.com');

    const posted = Date.now();
    const created = await t.http().post('/api/event').send({ user_id: 42, action: 'live_one', metadata: { a: [1, 'two'] }, site_id: 's', path: '/p' }).expect(201);
    await stream.until(() => stream.messages.length > 0, DELIVERY_MS, 'the event');
    expect(Date.now() - posted).toBeLessThan(DELIVERY_MS);
    const stored = await t.http().get(`/api/events/${created.body.id}`).expect(200);
    expect(stream.messages).toEqual([{ event: 'event', id: created.body.id, data: JSON.stringify(stored.body) }]);
  });

  it('sends each event of a batch once, duplicates never, and only what matches the filters', async () => {
    const all = await open(t.url);
    const siteA = await open(t.url, '?site_id=a');
    const user2Login = await open(t.url, '?user_id=2&action=login');
    const batch = {
      events: [
        { user_id: 1, action: 'login', site_id: 'a' },
        { user_id: 2, action: 'login', site_id: 'b' },
        { user_id: 2, action: 'view', site_id: 'a' },
      ],
    };
    const first = await t.http().post('/api/events/batch').send(batch).expect(200);
    const ids = first.body.results.map((r: { id: string }) => r.id);
    await all.until(() => all.messages.length >= 3, DELIVERY_MS, 'three events');
    // The same events again: duplicates, nothing new is stored, so nothing is sent.
    const again = { events: batch.events.map((e, i) => ({ ...e, event_id: ids[i] })) };
    expect((await t.http().post('/api/events/batch').send(again).expect(200)).body.duplicates).toBe(3);
    const marker = await t.http().post('/api/event').send({ user_id: 9, action: 'marker', site_id: 'a' }).expect(201);
    await all.until(() => all.messages.some((m) => m.id === marker.body.id), DELIVERY_MS, 'the marker');
    await siteA.until(() => siteA.messages.some((m) => m.id === marker.body.id), DELIVERY_MS, 'the marker');

    expect(all.messages.map((m) => m.id).sort()).toEqual([...ids, marker.body.id].sort());
    expect(siteA.messages.map((m) => m.id).sort()).toEqual([ids[0], ids[2], marker.body.id].sort());
    expect(user2Login.events()).toEqual([expect.objectContaining({ id: ids[1], user_id: '2', action: 'login' })]);
  });

  it('sends a heartbeat comment every LIVE_HEARTBEAT_MS', async () => {
    const stream = await open(t.url);
    await stream.until(() => stream.comments.filter((c) => c === 'heartbeat').length >= 2, DELIVERY_MS, 'two heartbeats');
    expect(stream.raw).toContain('\n: heartbeat\n\n');
    expect(stream.messages).toEqual([]);
  });

  it('answers HEAD with the headers and ends, rather than holding a body-less stream open', async () => {
    const head = await t.http().head('/api/events/live').timeout(5000);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/event-stream');
    await waitFor(async () => (await metric(t, 'live_clients')) === 0, 2000, 'the HEAD stream to be released');
  });

  it('refuses bad filters with a 400 naming the field', async () => {
    const repeated = await t.http().get('/api/events/live?site_id=a&site_id=b').expect(400);
    expect(repeated.body.errors).toEqual([{ path: 'site_id', message: 'must be given once' }]);
    const long = await t.http().get(`/api/events/live?user_id=${'x'.repeat(129)}`).expect(400);
    expect(long.body.errors).toEqual([expect.objectContaining({ path: 'user_id' })]);
    const unknown = await t.http().get('/api/events/live?colour=red').expect(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ path: 'colour' })]);
  });

  it('ends its streams when its LISTEN connection drops, and listens again for new streams', async () => {
    const stream = await open(t.url);
    await t.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tracking-service live' AND pid <> pg_backend_pid()`);
    await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream did not end')), 5000))]);
    await waitFor(async () => {
      const again = await SseClient.open(`${t.url}/api/events/live`);
      streams.push(again);
      return again.status === 200;
    }, 10_000, 'a new stream');
    const next = streams[streams.length - 1];
    const created = await t.http().post('/api/event').send({ user_id: 1, action: 'after_reconnect' }).expect(201);
    await next.until(() => next.messages.some((m) => m.id === created.body.id), DELIVERY_MS, 'the event after reconnecting');
  });
});

describe('GET /api/events/live with API keys', () => {
  let t: Listening;
  beforeAll(async () => {
    t = await startListening();
    await t.reset();
  });
  afterAll(async () => {
    await t.db.query('TRUNCATE api_keys');
    await t.close();
  });

  it('needs a key with the read scope', async () => {
    const commands = t.app.get(CommandBus);
    const { secret: read } = await commands.execute(new CreateApiKeyCommand('live-read', 'read'));
    const { secret: write } = await commands.execute(new CreateApiKeyCommand('live-write', 'write'));
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 200));

    const anonymous = await open(t.url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    const wrongScope = await open(t.url, '', { Authorization: `Bearer ${write}` });
    expect(wrongScope.status).toBe(403);
    expect(await metric(t, 'live_clients', read)).toBe(0);

    const allowed = await open(t.url, '', { Authorization: `Bearer ${read}` });
    expect(allowed.status).toBe(200);
    const created = await t.http().post('/api/event').set('X-API-Key', write).send({ user_id: 5, action: 'keyed' }).expect(201);
    await allowed.until(() => allowed.messages.some((m) => m.id === created.body.id), DELIVERY_MS, 'the event');
    expect(await metric(t, 'live_clients', read)).toBe(1);
  });
});

describe('LIVE_MAX_CLIENTS', () => {
  let t: Listening;
  beforeAll(async () => {
    t = await startListening({ LIVE_MAX_CLIENTS: '2' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 503 with Retry-After beyond the cap, and accepts again once a stream closes', async () => {
    const first = await open(t.url);
    const second = await open(t.url);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await metric(t, 'live_clients')).toBe(2);
    const third = await open(t.url);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('5');
    expect(JSON.parse(third.raw)).toMatchObject({ status: 503, type: 'urn:tracking-service:problem:too-many-live-streams' });

    first.close();
    await waitFor(async () => (await metric(t, 'live_clients')) === 1, 5000, 'the closed stream to be released');
    const fourth = await open(t.url);
    expect(fourth.status).toBe(200);
  });
});

describe('a client that does not read', () => {
  // The service in its own process, so that the test's clients read while it writes.
  let server: Spawned;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    server = spawnNode('dist/src/main.js', [], { PORT: String(port), LOG_LEVEL: 'warn', METRICS_CRON_ENABLED: 'false', RATE_LIMIT_READ: '0', RATE_LIMIT_WRITE: '0', LIVE_MAX_BUFFER_BYTES: '262144' });
    await waitForReady(port, server);
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (server.child.exitCode === null) await terminate(server);
  });
  const liveMetric = async (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text());
    return Number(match![1]);
  };

  it('is dropped once more than LIVE_MAX_BUFFER_BYTES wait for it, and the others keep streaming', async () => {
    const reader = await open(url);
    const slow: Socket = connect(Number(new URL(url).port), '127.0.0.1');
    let received = 0;
    let closed = false;
    slow.on('data', (chunk) => (received += chunk.length));
    slow.on('close', () => (closed = true));
    slow.on('error', () => undefined);
    slow.write('GET /api/events/live HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
    await waitFor(async () => received > 0, 5000, 'the slow stream to open');
    slow.pause(); // from now on it reads nothing: the kernel's buffers fill, then the service's
    expect(await liveMetric('live_clients')).toBe(2);

    // About 1.2 MB of stream per batch of 1000 events, until the slow client is dropped.
    const metadata = { blob: 'x'.repeat(1000) };
    let sent = 0;
    for (let round = 0; round < 40 && (await liveMetric('live_dropped_total')) === 0; round++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({ user_id: i, action: 'bulk', metadata }));
      const res = await fetch(`${url}/api/events/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ events }) });
      expect(((await res.json()) as { created: number }).created).toBe(1000);
      sent += 1000;
      await reader.until(() => reader.messages.length === sent, 10_000, `all ${sent} events`);
    }
    expect(await liveMetric('live_dropped_total')).toBe(1);
    expect(await liveMetric('live_clients')).toBe(1);
    // The slow client's connection is closed: once it reads again it reaches the end.
    slow.resume();
    await waitFor(async () => closed, 10_000, 'the slow connection to close');
    // It got what the kernel had buffered for it, not the stream the reader got.
    expect(received).toBeLessThan(Buffer.byteLength(reader.raw));
    // The reader is still served.
    const after = await fetch(`${url}/api/event`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user_id: 1, action: 'after_drop' }) });
    const { id } = (await after.json()) as { id: string };
    await reader.until(() => reader.messages.some((m) => m.id === id), DELIVERY_MS, 'the event after the drop');
  }, 120_000);
});

describe('two processes on one database', () => {
  let t: Listening;
  let other: Spawned;
  let otherUrl: string;
  beforeAll(async () => {
    t = await startListening();
    const port = await freePort();
    other = spawnNode('dist/src/main.js', [], { PORT: String(port), LOG_LEVEL: 'warn', METRICS_CRON_ENABLED: 'false', RATE_LIMIT_READ: '0', RATE_LIMIT_WRITE: '0' });
    await waitForReady(port, other);
    otherUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (other.child.exitCode === null) other.child.kill('SIGKILL');
    await t.close();
  });

  it('streams on one process what was posted to the other, both ways', async () => {
    const onOther = await open(otherUrl);
    const onThis = await open(t.url);
    const here = await t.http().post('/api/event').send({ user_id: 1, action: 'posted_here' }).expect(201);
    const postedThere = Date.now();
    const there = await fetch(`${otherUrl}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: 2, action: 'posted_there' }),
    });
    expect(there.status).toBe(201);
    const thereId = ((await there.json()) as { id: string }).id;
    await onOther.until(() => onOther.messages.some((m) => m.id === here.body.id), DELIVERY_MS, 'the event posted to the test app');
    await onThis.until(() => onThis.messages.some((m) => m.id === thereId), DELIVERY_MS, 'the event posted to the other process');
    expect(Date.now() - postedThere).toBeLessThan(DELIVERY_MS);
    // Each process also streams what was posted to itself, and nothing twice.
    for (const stream of [onOther, onThis]) {
      await stream.until(() => stream.messages.length >= 2, DELIVERY_MS, 'both events');
      expect(stream.messages.map((m) => m.id).sort()).toEqual([here.body.id, thereId].sort());
    }
  });

  it('ends its streams promptly on SIGTERM and exits cleanly', async () => {
    const stream = await open(otherUrl);
    const started = Date.now();
    const stop = await terminate(other);
    await stream.ended;
    expect(stop.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stream.raw).toMatch(/^retry: 3000\n\n/);
  });
});
