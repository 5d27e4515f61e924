import 'reflect-metadata';
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EVENTS, loadDataSet } from './data-set';
import { benchDatabase, freePort, postgresCpuSeconds, processCpuSeconds } from './support';

/**
 * npm run bench:ingest — ingestion throughput and latency, all in one run on one database:
 *  (a) POST /api/event, single events (group commit)
 *  (b) POST /api/events/batch with 100 and 1000 events
 *  (c) the no-op ceiling: POST /api/event/validate (same validation, no database)
 *  (d) the naive baseline: NestJS + Express + TypeORM save() per request (bench/naive)
 *  and the raw COPY rate into the events table. autocannon, 50 connections, about DURATION s each.
 * Every acknowledged event is checked against the rows stored.
 * PRELOAD=1 first loads bench:analytics's data set (5 million events, 200,000 users), so that
 * the write path, and the rollups it maintains, are measured on a database of realistic size.
 */
const ROOT = join(__dirname, '..', '..');
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = 50;

async function startNode(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${script} did not start`);
}

function event(i: number) {
  return {
    user_id: `user-${(i * 7919) % 5000}`,
    action: ['page_view', 'click', 'login', 'purchase'][i % 4],
    metadata: { page: `/p/${i % 300}` },
    site_id: ['site-a', 'site-b', 'site-c'][i % 3],
    path: `/p/${i % 300}`,
  };
}

interface Outcome {
  name: string;
  rps: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  acked: number;
  stored: number | null;
  /** CPU microseconds per request during the measured run, by process (null: not measurable here). */
  cpu: { server: number | null; postgres: number | null; loadGenerator: number };
  /** Share of all the machine's cores that the three used together. */
  busy: number | null;
}

/** Who to account CPU to: the server answering the requests and the PostgreSQL server behind it. */
interface CpuSources {
  serverPid: number;
  postmasterPid: number | null;
}

function cpuNow(sources: CpuSources) {
  const usage = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    server: processCpuSeconds(sources.serverPid),
    postgres: sources.postmasterPid === null ? null : postgresCpuSeconds(sources.postmasterPid),
    loadGenerator: (usage.user + usage.system) / 1e6,
  };
}

/** `body` is sent as is, or, as a function, called for each request (single events vary their user, site and path). */
async function load(
  name: string,
  url: string,
  body: unknown,
  eventsPerRequest: number,
  countRows: () => Promise<number | null>,
  cpuSources: CpuSources,
): Promise<Outcome> {
  let n = 0;
  const opts = {
    url,
    method: 'POST' as const,
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json' },
    ...(typeof body === 'function'
      ? { requests: [{ setupRequest: (req: object) => ({ ...req, body: JSON.stringify(body(n++)) }) }] }
      : { body: JSON.stringify(body) }),
  };
  // Warm-up (JIT, pools), not measured; its rate sizes the measured run. The measured run
  // sends a fixed number of requests and waits for every answer, so that no request is cut
  // off in flight and "acknowledged" can be compared exactly with the rows stored.
  const warm = await autocannon({ ...opts, duration: 3 });
  const amount = Math.max(CONNECTIONS, Math.round((warm['2xx'] / 3) * DURATION));
  // The warm-up stops with requests in flight; let the service finish them before counting.
  let before = await countRows();
  for (let stable = false; !stable && before !== null; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const again = await countRows();
    stable = again === before;
    before = again;
  }
  const cpuBefore = cpuNow(cpuSources);
  const result = await autocannon({ ...opts, amount });
  const cpuAfter = cpuNow(cpuSources);
  const after = await countRows();
  const ok = result['2xx'];
  const seconds = result.duration;
  const spent = (key: 'server' | 'postgres') => {
    const [a, b] = [cpuBefore[key], cpuAfter[key]];
    return a === null || b === null ? null : b - a;
  };
  const [server, postgres, loadGenerator] = [spent('server'), spent('postgres'), cpuAfter.loadGenerator - cpuBefore.loadGenerator];
  const perRequest = (cpuSeconds: number) => (cpuSeconds * 1e6) / result.requests.total;
  const wall = Number(cpuAfter.at - cpuBefore.at) / 1e9;
  return {
    cpu: {
      server: server === null ? null : perRequest(server),
      postgres: postgres === null ? null : perRequest(postgres),
      loadGenerator: perRequest(loadGenerator),
    },
    busy: server === null ? null : (server + (postgres ?? 0) + loadGenerator) / (wall * availableParallelism()),
    name,
    rps: ok / seconds,
    eventsPerSec: (ok * eventsPerRequest) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    acked: ok * eventsPerRequest,
    stored: before === null || after === null ? null : after - before,
  };
}

async function copyRate(url: string, rows: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    const now = new Date().toISOString();
    let i = 0;
    const source = Readable.from(
      (function* () {
        const chunk: string[] = [];
        for (; i < rows; i++) {
          const e = event(i);
          chunk.push(`${crypto.randomUUID()}\t${e.user_id}\t${e.action}\t${now}\t${now}\t${JSON.stringify(e.metadata)}\t\\N\t\\N\n`);
          if (chunk.length === 1000) yield chunk.splice(0).join('');
        }
        if (chunk.length) yield chunk.join('');
      })(),
    );
    await pipeline(source, client.query(copyFrom('COPY events (id, user_id, action, occurred_at, received_at, metadata, site_id, path) FROM STDIN')));
    return rows / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await client.end();
  }
}

async function main() {
  const db = await benchDatabase('bench_ingest');
  if (process.env.PRELOAD) {
    console.log(`PRELOAD: loading ${EVENTS.toLocaleString()} events first…`);
    await loadDataSet(db.dataSource);
  }
  const [port, naivePort] = await Promise.all([freePort(), freePort()]);
  const service = await startNode('dist/src/main.js', {
    DATABASE_URL: db.url,
    PORT: String(port),
    LOG_LEVEL: 'error',
    METRICS_CRON_ENABLED: 'false',
    RATE_LIMIT_WRITE: '0', // one load generator on one address: measure the service, not the limit
  });
  const naive = await startNode('dist-bench/bench/naive/main.js', { DATABASE_URL: db.url, PORT: String(naivePort) });
  const count = (table: string) => async () => Number((await db.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  const base = `http://127.0.0.1:${port}`;
  try {
    const outcomes: Outcome[] = [];
    const cpu = { serverPid: service.pid!, postmasterPid: db.postmasterPid };
    outcomes.push(await load('no-op ceiling (validate only)', `${base}/api/event/validate`, event, 1, async () => null, cpu));
    const batch = (n: number) => ({ events: Array.from({ length: n }, (_, i) => event(i)) });
    // Each write scenario with the analytics rollup trigger off, then on: what maintaining the
    // rollups costs the write path end to end. "Off" runs first on the smaller table, so the
    // cost shown is if anything too high.
    const writes: Array<[string, string, unknown, number]> = [
      ['POST /api/event (single)', '/api/event', event, 1],
      ['POST /api/events/batch ×100', '/api/events/batch', batch(100), 100],
      ['POST /api/events/batch ×1000', '/api/events/batch', batch(1000), 1000],
    ];
    const pairs: Array<{ on: Outcome; off: Outcome }> = [];
    for (const [name, path, body, size] of writes) {
      await db.dataSource.query('ALTER TABLE events DISABLE TRIGGER analytics_rollups');
      let off: Outcome;
      try {
        off = await load(`${name}, rollups off`, base + path, body, size, count('events'), cpu);
      } finally {
        await db.dataSource.query('ALTER TABLE events ENABLE TRIGGER analytics_rollups');
      }
      const on = await load(name, base + path, body, size, count('events'), cpu);
      outcomes.push(off, on);
      pairs.push({ on, off });
    }
    outcomes.push(
      await load('naive NestJS+Express+TypeORM save()', `http://127.0.0.1:${naivePort}/api/event`, event, 1, count('naive_events'), {
        ...cpu,
        serverPid: naive.pid!,
      }),
    );
    const copy = await copyRate(db.url, 300_000);

    console.log(`\ningestion, ${CONNECTIONS} connections, ${DURATION} s each (autocannon); raw COPY into events: ${Math.round(copy).toLocaleString()} rows/s\n`);
    console.log('| scenario | requests/s | events/s | p50 ms | p99 ms | acknowledged | stored | CPU µs/request: server / PostgreSQL / load generator | machine busy |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    const us = (v: number | null) => (v === null ? '?' : String(Math.round(v)));
    for (const o of outcomes) {
      console.log(
        `| ${o.name} | ${Math.round(o.rps).toLocaleString()} | ${Math.round(o.eventsPerSec).toLocaleString()} | ${o.p50} | ${o.p99} | ${o.acked.toLocaleString()} | ${o.stored === null ? '—' : o.stored.toLocaleString()} ` +
          `| ${us(o.cpu.server)} / ${us(o.cpu.postgres)} / ${us(o.cpu.loadGenerator)} | ${o.busy === null ? '?' : `${Math.round(100 * o.busy)}%`} |`,
      );
    }
    const noop = outcomes[0];
    const naiveOutcome = outcomes[outcomes.length - 1];
    const [single, , batch1000] = pairs.map((p) => p.on);
    console.log('\ntargets:');
    console.log(`- single vs naive: ${(single.rps / naiveOutcome.rps).toFixed(1)}× (≥ 5×)`);
    console.log(`- single p99: ${single.p99} ms (≤ 15 ms)`);
    console.log(`- single vs no-op ceiling: ${((100 * single.rps) / noop.rps).toFixed(0)}% (≥ 50%)`);
    console.log(`- batch ×1000: ${Math.round(batch1000.eventsPerSec).toLocaleString()} events/s (≥ 60,000), ${((100 * batch1000.eventsPerSec) / copy).toFixed(0)}% of COPY (≥ 60%)`);
    // Everything shares this machine's cores: the CPU a request costs the three processes bounds
    // the rate any design can reach here, whatever it overlaps or batches.
    const cores = availableParallelism();
    const need = 5 * naiveOutcome.rps;
    const spent = single.cpu.server === null ? null : single.cpu.server + (single.cpu.postgres ?? 0) + single.cpu.loadGenerator;
    if (spent !== null) {
      console.log(
        `- CPU budget: 5× naive is ${Math.round(need).toLocaleString()} req/s, at which ${cores} cores allow ${Math.round((cores * 1e6) / need)} µs ` +
          `of CPU per request (server + PostgreSQL + load generator); single events used ${Math.round(spent)} µs ` +
          `(${Math.round(single.cpu.server!)} + ${single.cpu.postgres === null ? '?' : Math.round(single.cpu.postgres)} + ` +
          `${Math.round(single.cpu.loadGenerator)}), which caps them near ${Math.round((cores * 1e6) / spent).toLocaleString()} req/s here`,
      );
    }
    const cost = ({ on, off }: { on: Outcome; off: Outcome }) => `${(100 * (1 - on.eventsPerSec / off.eventsPerSec)).toFixed(0)}%`;
    console.log(`- rollup maintenance cost: single ${cost(pairs[0])}, batch ×100 ${cost(pairs[1])}, batch ×1000 ${cost(pairs[2])} (≤ 30%)`);
    const lost = outcomes.filter((o) => o.stored !== null && o.stored !== o.acked);
    console.log(`- acknowledged = stored: ${lost.length === 0 ? 'yes, in every scenario' : `NO: ${lost.map((o) => o.name).join(', ')}`}`);
  } finally {
    service.kill('SIGTERM');
    naive.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
