import { parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { DataSource } from 'typeorm';
import { createWeekPartitionSql } from '../../migrations/1763700005000-distributable-events';
import { openTestDataSource } from '../support/database';
import { startServices, stopServices, Service } from '../support/services';
import { truncateAll } from '../support/test-app';

/**
 * A million events exported through the compiled service (`npm run build` first): the CSV,
 * parsed back as it arrives, equals the stored events row by row, and the service's resident
 * memory stays flat while a file several times larger passes through it.
 */
const EVENTS = 1_000_000;
const START = Date.UTC(2025, 0, 6); // a Monday: the events fill one weekly partition and a bit
const ACTIONS = ['page_view', 'click', '=cmd|calc', 'login'];

/** What row i (1-based, in time order) holds, as the CSV writes it. */
function expected(i: number): string[] {
  const at = new Date(START + i * 500).toISOString();
  const user = `u${i % 5000}`;
  const action = ACTIONS[i % 4];
  return [
    uuidOf(i),
    user,
    action.startsWith('=') ? `'${action}` : action,
    at,
    new Date(START + i * 500 + 1000).toISOString(),
    `s${i % 7}`,
    `/p/${i % 100}`,
    JSON.stringify({ n: i, s: 'a,"b"' }),
  ];
}

/** md5(i::text)::uuid, as PostgreSQL computes the ids above. */
function uuidOf(i: number): string {
  const hex = createHash('md5').update(String(i)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

let db: DataSource;
let service: Service;

beforeAll(async () => {
  db = await openTestDataSource([]);
  await truncateAll(db);
  for (let week = START - 7 * 86_400_000; week <= START + 14 * 86_400_000; week += 7 * 86_400_000) {
    await db.query(createWeekPartitionSql(new Date(week)));
  }
  await db.query(
    `INSERT INTO events (id, user_key, user_id, action, occurred_at, received_at, metadata, site_id, path)
     SELECT md5(i::text)::uuid, 'u' || (i % 5000), 'u' || (i % 5000), ($2::text[])[i % 4 + 1],
            to_timestamp($1::double precision / 1000) + i * interval '500 ms',
            to_timestamp($1::double precision / 1000) + i * interval '500 ms' + interval '1 s',
            jsonb_build_object('n', i, 's', 'a,"b"'), 's' || (i % 7), '/p/' || (i % 100)
     FROM generate_series(1, $3::int) AS i`,
    [START, ACTIONS, EVENTS],
  );
  [service] = await startServices(1, { DATABASE_URL: process.env.DATABASE_URL });
}, 300_000);

afterAll(async () => {
  if (service) await stopServices([service]);
  await truncateAll(db);
  await db.destroy();
}, 60_000);

/** Downloads an export, parsing it as it comes; `onRecord` sees every record, `onSample` runs every 100 ms meanwhile. */
function download(path: string, onRecord: (record: string[], n: number) => void, onSample: () => void): Promise<{ bytes: number; records: number }> {
  const url = new URL(path, service.url);
  return new Promise((resolve, reject) => {
    const sampler = setInterval(onSample, 100);
    get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let bytes = 0;
      let records = 0;
      const parser = parse();
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('error', reject);
      res.pipe(parser);
      parser.on('data', (record: string[]) => onRecord(record, records++));
      parser.on('error', reject);
      parser.on('end', () => {
        clearInterval(sampler);
        if (!res.complete) return reject(new Error('the response was cut'));
        resolve({ bytes, records });
      });
    }).on('error', reject);
  });
}

it('exports a million events as CSV equal to the stored ones, in constant memory', async () => {
  const pid = service.process.child.pid!;
  // Warm up (code paths compiled, pools open), then take the resident size as the baseline.
  await download('/api/events/export?till=2025-01-06T02:00:00Z', () => undefined, () => undefined);
  const baseline = rssBytes(pid);
  let peak = baseline;
  let mismatches = 0;
  const { bytes, records } = await download(
    '/api/events/export',
    (record, n) => {
      if (n === 0) return expect(record[0]).toBe('id');
      const want = expected(n);
      if (record.join('\u0000') !== want.join('\u0000')) {
        if (mismatches++ < 3) expect(record).toEqual(want);
      }
    },
    () => (peak = Math.max(peak, rssBytes(pid))),
  );
  expect(mismatches).toBe(0);
  expect(records).toBe(EVENTS + 1);
  const growth = peak - baseline;
  // The file is ~150 MB; the service's resident memory may move by GC's slack, not by the file.
  console.log(`export of ${EVENTS} events: ${(bytes / 2 ** 20).toFixed(0)} MiB, service RSS ${(baseline / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
  expect(bytes).toBeGreaterThan(100 * 2 ** 20);
  expect(growth).toBeLessThan(64 * 2 ** 20);
}, 600_000);
