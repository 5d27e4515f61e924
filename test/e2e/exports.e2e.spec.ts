import { parse } from 'csv-parse/sync';
import { get, IncomingMessage } from 'node:http';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * GET /api/events/export and GET /api/metrics/export against a real PostgreSQL: the file
 * equals what the JSON routes answer, formulas are neutralised, a failure cuts the response,
 * and slow or vanished clients give back their database connection.
 */
let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startTestApp({ EXPORT_MAX_CONCURRENT: '1', EXPORT_STALL_TIMEOUT_MS: '1500' });
  await t.app.listen(0, '127.0.0.1');
  ({ port } = t.app.getHttpServer().address() as { port: number });
});
afterAll(() => t.close());
beforeEach(() => t.reset());

/** Events whose text is hostile to CSV and to spreadsheets. */
const TRICKY = [
  { event_id: '0195f3c2-6b1e-7cc0-9a51-000000000001', user_id: '=HYPERLINK("http://evil.example","x")', action: 'click', timestamp: '2025-10-23T10:00:00Z', metadata: { note: 'a,b "quoted"\r\nnext line' }, site_id: 's1', path: '/a' },
  { event_id: '0195f3c2-6b1e-7cc0-9a51-000000000002', user_id: '-5', action: '+SUM(A1:A9)', timestamp: '2025-10-23T10:00:01Z', metadata: {}, site_id: '@site', path: '-/b' },
  { event_id: '0195f3c2-6b1e-7cc0-9a51-000000000003', user_id: 'Zoë 🚀', action: 'page_view', timestamp: '2025-10-23T10:00:02Z', metadata: { n: 1.5, deep: { list: [1, 'x'] } }, path: '/päth?q=1,2' },
  { event_id: '0195f3c2-6b1e-7cc0-9a51-000000000004', user_id: 'plain', action: '\tlogin', timestamp: '2025-10-23T10:00:03Z', metadata: { tab: '\tx' }, site_id: 's1' },
];

async function allEvents(query: string): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.http().get(`/api/events?${query}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    rows.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return rows;
}

/** Undoes the formula neutralisation (a leading ' before = + - @ tab CR) — what a reader of the file would do. */
const unneutralise = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

async function postBatch(events: object[]): Promise<void> {
  const res = await t.http().post('/api/events/batch').send({ events });
  expect(res.status).toBe(200);
  expect(res.body.results.filter((r: { status: string }) => r.status === 'rejected')).toEqual([]);
}

/** `count` plain events, one a second from `start`, with a large metadata so the file outgrows every buffer. */
async function postMany(count: number, start = Date.UTC(2025, 9, 20)): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    await postBatch(
      Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
        user_id: `u${(i + k) % 97}`,
        action: 'view',
        timestamp: new Date(start + (i + k) * 1000).toISOString(),
        metadata: { pad: 'x'.repeat(400), n: i + k },
      })),
    );
  }
}

/** The export's connection as PostgreSQL sees it (the cursor's query is on it while it streams). */
async function exportBackends(): Promise<number[]> {
  const rows = await t.db.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%"e"."metadata" AS metadata%'`,
  );
  return rows.map((r: { pid: number }) => r.pid);
}

/** A request read by hand: the response object, paused, so the test decides when (and whether) to read. */
function open(path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
  });
}

/** Reads the rest of a response: its text, or the error that ended it early. */
function readToEnd(res: IncomingMessage): Promise<{ text: string; error?: Error; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', (e) => (error = e));
    res.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), error, complete: res.complete }));
    res.resume();
  });
}

describe('GET /api/events/export', () => {
  it('writes the events of GET /api/events as RFC 4180 CSV, formulas neutralised, parsed back equal', async () => {
    await postBatch(TRICKY);
    const res = await t.http().get('/api/events/export').buffer(true).parse((r, done) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => done(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe('attachment; filename="events.csv"');
    const text: string = res.body;
    expect(text.split('\r\n')[0]).toBe('id,user_id,action,timestamp,received_at,site_id,path,metadata');
    expect(text.endsWith('\r\n')).toBe(true);
    const records: string[][] = parse(text, { relax_column_count: false });
    const [header, ...rows] = records;
    const expected = await allEvents('order=asc');
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, i) => {
      const e = expected[i];
      const cells = Object.fromEntries(header.map((h, k) => [h, row[k]]));
      expect(unneutralise(cells.id)).toBe(e.id);
      expect(unneutralise(cells.user_id)).toBe(e.user_id ?? '');
      expect(unneutralise(cells.action)).toBe(e.action);
      expect(cells.timestamp).toBe(e.timestamp);
      expect(cells.received_at).toBe(e.received_at);
      expect(unneutralise(cells.site_id)).toBe(e.site_id ?? '');
      expect(unneutralise(cells.path)).toBe(e.path ?? '');
      expect(JSON.parse(cells.metadata)).toEqual(e.metadata);
    });
    // Every cell a spreadsheet would run is prefixed; the rest is untouched.
    const cells = rows.flat();
    expect(cells).toContain(`'=HYPERLINK("http://evil.example","x")`);
    expect(cells).toContain(`'-5`);
    expect(cells).toContain(`'+SUM(A1:A9)`);
    expect(cells).toContain(`'@site`);
    expect(cells).toContain(`'-/b`);
    expect(cells).toContain(`'\tlogin`);
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toContain('Zoë 🚀');
  });

  it('takes the filters of GET /api/events, order, and NDJSON by format or Accept', async () => {
    await postBatch(TRICKY);
    await postMany(30);
    const query = 'site_id=s1&from=2025-10-23T00:00:00Z&till=2025-10-24T00:00:00Z';
    const expected = await allEvents(`${query}&order=desc`);
    expect(expected.length).toBe(2);
    const ndjson = async (req: ReturnType<ReturnType<TestApp['http']>['get']>) => {
      const res = await req.buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => done(null, text));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="events_from-2025-10-23T000000Z_till-2025-10-24T000000Z.ndjson"',
      );
      return (res.body as string).split('\n').filter(Boolean).map((line) => JSON.parse(line));
    };
    expect(await ndjson(t.http().get(`/api/events/export?${query}&order=desc&format=ndjson`))).toEqual(expected);
    expect(await ndjson(t.http().get(`/api/events/export?${query}&order=desc`).set('Accept', 'application/x-ndjson'))).toEqual(expected);
    const byUser = await allEvents('user_id=plain&order=asc&from=2025-10-23T00:00:00Z&till=2025-10-24T00:00:00Z');
    expect(byUser).toHaveLength(1);
    expect(await ndjson(t.http().get(`/api/events/export?user_id=plain&format=ndjson&from=2025-10-23T00:00:00Z&till=2025-10-24T00:00:00Z`))).toEqual(byUser);
  });

  it('writes the header row alone when nothing matches', async () => {
    const res = await t.http().get('/api/events/export?action=nothing');
    expect(res.status).toBe(200);
    expect(res.text).toBe('id,user_id,action,timestamp,received_at,site_id,path,metadata\r\n');
  });

  it('answers bad parameters with a 400 naming the field, not a file', async () => {
    for (const [query, field] of [
      ['format=xlsx', 'format'],
      ['from=yesterday', 'from'],
      ['from=2025-10-24T00:00:00Z&till=2025-10-23T00:00:00Z', 'till'],
      ['order=sideways', 'order'],
      ['limit=10', 'limit'],
    ]) {
      const res = await t.http().get(`/api/events/export?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['content-disposition']).toBeUndefined();
      expect(JSON.stringify(res.body.errors)).toContain(`"${field}"`);
    }
  });

  it('streams with backpressure: a client that stops reading holds one export, others are served, and it is cut after the stall timeout', async () => {
    await postMany(20_000);
    const stalled = await open('/api/events/export');
    expect(stalled.statusCode).toBe(200);
    // The database cursor is open, reading no further than the client takes.
    await waitUntil(async () => (await exportBackends()).length === 1);
    // The rest of the service answers, but a second export waits its turn (EXPORT_MAX_CONCURRENT=1).
    expect((await t.http().get('/api/events?limit=5')).status).toBe(200);
    const busy = await t.http().get('/api/events/export?format=ndjson');
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBeDefined();
    // After EXPORT_STALL_TIMEOUT_MS without reading, the export is cut: its reader gets an
    // incomplete response, and the connection and the export's place are given back.
    await waitUntil(async () => (await exportBackends()).length === 0, 10_000);
    const rest = await readToEnd(stalled);
    expect(rest.complete).toBe(false);
    expect(rest.text.split('\r\n').length).toBeLessThan(20_000);
    const again = await t.http().get('/api/events/export?action=view&format=ndjson');
    expect(again.status).toBe(200);
    expect(again.text.trimEnd().split('\n')).toHaveLength(20_000);
  });

  it('gives back the connection and its place when the client goes away mid-file', async () => {
    await postMany(20_000);
    const res = await open('/api/events/export');
    await waitUntil(async () => (await exportBackends()).length === 1);
    res.destroy();
    await waitUntil(async () => (await exportBackends()).length === 0, 5000);
    expect((await t.http().get('/api/events/export?action=none')).status).toBe(200);
  });

  it('cuts the response, never ends it, when the database fails mid-file', async () => {
    await postMany(20_000);
    const res = await open('/api/events/export');
    await waitUntil(async () => (await exportBackends()).length === 1);
    // The export's database connection dies while rows remain to fetch.
    await t.db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [await exportBackends()]);
    const rest = await readToEnd(res);
    expect(rest.complete).toBe(false);
    const lines = rest.text.split('\r\n');
    expect(lines.length).toBeLessThan(20_001);
    // Nothing stored was touched, and the next export is whole.
    const again = await t.http().get('/api/events/export?format=ndjson');
    expect(again.status).toBe(200);
    expect(again.text.trimEnd().split('\n')).toHaveLength(20_000);
  });
});

describe('GET /api/metrics/export', () => {
  it('writes the rows of GET /api/metrics, as CSV and as NDJSON, with its filters', async () => {
    await postBatch(TRICKY);
    await postMany(3000, Date.UTC(2025, 9, 23, 11));
    const computed = await t.http().post('/api/metrics').send({ from: '2025-10-23T00:00:00Z', till: '2025-10-24T00:00:00Z' });
    expect(computed.status).toBe(200);
    const listed: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http().get(`/api/metrics?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      listed.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(listed.length).toBeGreaterThan(97);

    const ndjson = await t.http().get('/api/metrics/export?format=ndjson');
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers['content-disposition']).toBe('attachment; filename="metrics.ndjson"');
    expect(ndjson.text.split('\n').filter(Boolean).map((line) => JSON.parse(line))).toEqual(listed);

    const csv = await t.http().get('/api/metrics/export').set('Accept', 'text/csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    const [header, ...rows]: string[][] = parse(csv.text);
    expect(header).toEqual([
      'user_id', 'window_start', 'window_end', 'event_count', 'distinct_actions', 'action_counts',
      'first_event_at', 'last_event_at', 'session_count', 'active_seconds', 'computed_at',
    ]);
    expect(rows).toHaveLength(listed.length);
    rows.forEach((row, i) => {
      const m = listed[i];
      expect(unneutralise(row[0])).toBe(m.user_id);
      expect(row.slice(1, 5)).toEqual([m.window_start, m.window_end, String(m.event_count), String(m.distinct_actions)]);
      expect(JSON.parse(row[5])).toEqual(m.action_counts);
      expect(row.slice(6)).toEqual([m.first_event_at, m.last_event_at, String(m.session_count), String(m.active_seconds), m.computed_at]);
    });
    // A user id that is a formula is neutralised, a number is not.
    expect(rows.map((r) => r[0])).toContain(`'=HYPERLINK("http://evil.example","x")`);

    const one = await t.http().get('/api/metrics/export?format=ndjson&user_id=u5&from=2025-10-23T08:00:00Z&till=2025-10-23T12:00:00Z');
    expect(one.headers['content-disposition']).toBe('attachment; filename="metrics_from-2025-10-23T080000Z_till-2025-10-23T120000Z.ndjson"');
    const ofU5 = listed.filter((m) => m.user_id === 'u5' && m.window_start === '2025-10-23T08:00:00.000Z');
    expect(ofU5).toHaveLength(1);
    expect(one.text.split('\n').filter(Boolean).map((line) => JSON.parse(line))).toEqual(ofU5);
    const bad = await t.http().get('/api/metrics/export?cursor=abc');
    expect(bad.status).toBe(400);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
