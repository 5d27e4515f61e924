import 'reflect-metadata';
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { EVENTS, loadDataSet } from './data-set';
import { benchDatabase, freePort, median, postgresCpuSeconds, processCpuSeconds } from './support';

/**
 * npm run bench:ingest — ingestion throughput and latency, all in one run on one database.
 * First the targets' scenarios, interleaved over ROUNDS (default 3) rounds:
 *  (a) bare Fastify validating the same body with a JSON schema, no database (bench/bare)
 *  (b) the service's POST /api/event/validate: the whole pipeline, no database
 *  (c) POST /api/event, durable single events (group commit)
 *  (d) the naive baseline: NestJS + Express + TypeORM save() per request (bench/naive)
 * Then (unless ONLY_TARGETS=1) POST /api/event and /api/events/batch ×100 and ×1000 (the
 * analytics rollups and the metrics ledger maintained by the insert statement itself), and the
 * raw COPY rate into the events table.
 * autocannon, 50 connections, about DURATION s each. Every acknowledged event is checked
 * against the rows stored. COMPARE=other/dist/src/main.js adds another build's (b), (c) and
 * batches ×100 and ×1000 to the rounds, for A/B measurements in one run. The other build has
 * its own database (the two builds' schemas may differ), which it migrates itself at start: a
 * second embedded PostgreSQL (or a second database on DATABASE_URL's server), or
 * COMPARE_DATABASE_URL as is (e.g. a Citus coordinator). ONLY_COMPARE=1 loads only the four
 * scenarios of each build in the rounds (no bare app, no naive baseline, no later sections).
 * POSTMASTER_PIDS / COMPARE_POSTMASTER_PIDS (comma-separated) name the PostgreSQL servers to
 * account CPU to when the database is not embedded (e.g. a Citus coordinator and its workers;
 * each node's share is printed too).
 * PRELOAD=1 first loads bench:analytics's data set (5 million events, 200,000 users), so that
 * the write path, and the rollups it maintains, are measured on a database of realistic size.
 */
const ROOT = join(__dirname, '..', '..');
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = 50;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ONLY_TARGETS = Boolean(process.env.ONLY_TARGETS);
const COMPARE = process.env.COMPARE ? resolve(process.env.COMPARE) : null;
const ONLY_COMPARE = Boolean(process.env.ONLY_COMPARE) && COMPARE !== null;
const pids = (list: string | undefined) => (list ? list.split(',').map(Number) : null);
const BARE = 'bare Fastify + JSON schema, no database';
const VALIDATE = 'POST /api/event/validate, no database';
const SINGLE = 'POST /api/event, durable single events';
const NAIVE = 'naive NestJS+Express+TypeORM save()';
const BATCH100 = 'POST /api/events/batch ×100';
const BATCH1000 = 'POST /api/events/batch ×1000';

async function startNode(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${env.PORT}`;
  // Up to 3 minutes: the service migrates its database first (on Citus, distributing the tables).
  for (let i = 0; i < 1800; i++) {
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
  cpu: { server: number | null; postgres: number | null; loadGenerator: number; nodes: number[] | null };
  /** Share of all the machine's cores that the three used together. */
  busy: number | null;
}

/** Who to account CPU to: the server answering the requests and the PostgreSQL server behind it. */
interface CpuSources {
  serverPid: number;
  /** Every PostgreSQL server taking part (a Citus coordinator and its workers); empty: unknown. */
  postmasterPids: number[];
}

function cpuNow(sources: CpuSources) {
  const usage = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    server: processCpuSeconds(sources.serverPid),
    nodes: sources.postmasterPids.map((pid) => postgresCpuSeconds(pid)),
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
  const server = cpuBefore.server === null || cpuAfter.server === null ? null : cpuAfter.server - cpuBefore.server;
  const nodes = cpuBefore.nodes.some((n) => n === null) || cpuAfter.nodes.some((n) => n === null) ? null : cpuAfter.nodes.map((n, i) => n! - cpuBefore.nodes[i]!);
  const postgres = nodes === null || nodes.length === 0 ? null : nodes.reduce((a, b) => a + b, 0);
  const loadGenerator = cpuAfter.loadGenerator - cpuBefore.loadGenerator;
  // Per request sent (timed-out ones were still served); none sent in the run gives no figure.
  const perRequest = (cpuSeconds: number) => (result.requests.total === 0 ? NaN : (cpuSeconds * 1e6) / result.requests.total);
  const wall = Number(cpuAfter.at - cpuBefore.at) / 1e9;
  return {
    cpu: {
      server: server === null ? null : perRequest(server),
      postgres: postgres === null ? null : perRequest(postgres),
      loadGenerator: perRequest(loadGenerator),
      nodes: nodes === null || nodes.length < 2 ? null : nodes.map(perRequest),
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
          chunk.push(`${crypto.randomUUID()}\t${e.user_id}\t${e.user_id}\t${e.action}\t${now}\t${now}\t${JSON.stringify(e.metadata)}\t\\N\t\\N\n`);
          if (chunk.length === 1000) yield chunk.splice(0).join('');
        }
        if (chunk.length) yield chunk.join('');
      })(),
    );
    await pipeline(source, client.query(copyFrom('COPY events (id, user_key, user_id, action, occurred_at, received_at, metadata, site_id, path) FROM STDIN')));
    return rows / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await client.end();
  }
}

async function main() {
  const db = await benchDatabase('bench_ingest', {
    prepare: process.env.PRELOAD
      ? async (url) => {
          console.log(`PRELOAD: loading ${EVENTS.toLocaleString()} events first (through the previous schema, then upgraded)…`);
          const t = await loadDataSet(url);
          console.log(`PRELOAD: loaded in ${((t.insertMs + t.backfillMs + t.upgradeMs) / 1000).toFixed(0)} s`);
        }
      : undefined,
  });
  console.log(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores, shared)`);
  const [port, naivePort, barePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const serviceEnv = (url: string, listen: number) => ({
    DATABASE_URL: url,
    PORT: String(listen),
    LOG_LEVEL: 'error',
    METRICS_CRON_ENABLED: 'false',
    RATE_LIMIT_WRITE: '0', // one load generator on one address: measure the service, not the limit
  });
  // COMPARE=path/to/other/dist/src/main.js: a second build of the service (the A of an A/B),
  // loaded in the same rounds, on a database of its own that it migrates at start.
  const compareDb = !COMPARE
    ? null
    : process.env.COMPARE_DATABASE_URL
      ? await (async () => {
          const dataSource = new DataSource({ type: 'postgres', url: process.env.COMPARE_DATABASE_URL, extra: { max: 4 } });
          await dataSource.initialize();
          return { dataSource, url: process.env.COMPARE_DATABASE_URL!, postmasterPid: null, close: () => dataSource.destroy() };
        })()
      : await benchDatabase('bench_ingest_compare', { migrate: false });
  const service = await startNode('dist/src/main.js', serviceEnv(db.url, port));
  const naive = ONLY_COMPARE ? null : await startNode('dist-bench/bench/naive/main.js', { DATABASE_URL: db.url, PORT: String(naivePort) });
  const bare = ONLY_COMPARE ? null : await startNode('dist-bench/bench/bare/main.js', { PORT: String(barePort) });
  // Its port taken just now: other engineers' processes on this shared machine take ports meanwhile.
  const comparePort = await freePort();
  const compare = COMPARE ? await startNode(COMPARE, serviceEnv(compareDb!.url, comparePort)) : null;
  const children = [service, naive, bare, compare].filter((c): c is ChildProcess => c !== null);
  const counter = (source: DataSource, table: string) => async () => Number((await source.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  const count = (table: string) => counter(db.dataSource, table);
  const base = `http://127.0.0.1:${port}`;
  const batch = (n: number) => ({ events: Array.from({ length: n }, (_, i) => event(i)) });
  try {
    const cpu: CpuSources = { serverPid: service.pid!, postmasterPids: pids(process.env.POSTMASTER_PIDS) ?? (db.postmasterPid === null ? [] : [db.postmasterPid]) };
    // The targets' scenarios, interleaved: ROUNDS rounds, each loading every scenario once in
    // turn, so that whatever else the shared machine does falls on all of them alike.
    type Scenario = { name: string; run: () => Promise<Outcome> };
    const scenarios: Scenario[] = ONLY_COMPARE
      ? [
          { name: SINGLE, run: () => load(SINGLE, `${base}/api/event`, event, 1, count('events'), cpu) },
          { name: BATCH100, run: () => load(BATCH100, `${base}/api/events/batch`, batch(100), 100, count('events'), cpu) },
          { name: BATCH1000, run: () => load(BATCH1000, `${base}/api/events/batch`, batch(1000), 1000, count('events'), cpu) },
        ]
      : [
          { name: BARE, run: () => load(BARE, `http://127.0.0.1:${barePort}/api/event/validate`, event, 1, async () => null, { ...cpu, serverPid: bare!.pid! }) },
          { name: VALIDATE, run: () => load(VALIDATE, `${base}/api/event/validate`, event, 1, async () => null, cpu) },
          { name: SINGLE, run: () => load(SINGLE, `${base}/api/event`, event, 1, count('events'), cpu) },
          {
            name: NAIVE,
            run: () => load(NAIVE, `http://127.0.0.1:${naivePort}/api/event`, event, 1, count('naive_events'), { ...cpu, serverPid: naive!.pid! }),
          },
        ];
    if (compare) {
      const other = `http://127.0.0.1:${comparePort}`;
      const compareCpu: CpuSources = {
        serverPid: compare.pid!,
        postmasterPids: pids(process.env.COMPARE_POSTMASTER_PIDS) ?? (compareDb!.postmasterPid === null ? [] : [compareDb!.postmasterPid]),
      };
      const countOther = counter(compareDb!.dataSource, 'events');
      // Each of the other build's scenarios right after this build's same scenario.
      const theirs: Array<[string, () => Promise<Outcome>]> = [
        [VALIDATE, () => load(`${VALIDATE} [COMPARE]`, `${other}/api/event/validate`, event, 1, async () => null, compareCpu)],
        [SINGLE, () => load(`${SINGLE} [COMPARE]`, `${other}/api/event`, event, 1, countOther, compareCpu)],
        [BATCH100, () => load(`${BATCH100} [COMPARE]`, `${other}/api/events/batch`, batch(100), 100, countOther, compareCpu)],
        [BATCH1000, () => load(`${BATCH1000} [COMPARE]`, `${other}/api/events/batch`, batch(1000), 1000, countOther, compareCpu)],
      ];
      if (!ONLY_COMPARE) {
        scenarios.push({ name: BATCH100, run: () => load(BATCH100, `${base}/api/events/batch`, batch(100), 100, count('events'), cpu) });
        scenarios.push({ name: BATCH1000, run: () => load(BATCH1000, `${base}/api/events/batch`, batch(1000), 1000, count('events'), cpu) });
      }
      for (const [after, run] of theirs) {
        const at = scenarios.findIndex((s) => s.name === after);
        if (at >= 0) scenarios.splice(at + 1, 0, { name: `${after} [COMPARE]`, run });
      }
    }
    const rounds: Array<Map<string, Outcome>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = new Map<string, Outcome>();
      for (const scenario of scenarios) round.set(scenario.name, await scenario.run());
      rounds.push(round);
      console.log(
        `round ${r + 1}/${ROUNDS} (load ${loadavg()[0].toFixed(1)}): ${scenarios.map((s) => `${s.name} ${Math.round(round.get(s.name)!.rps).toLocaleString()}`).join(', ')} req/s`,
      );
    }

    const outcomes: Outcome[] = [];
    let copy: number | null = null;
    if (!ONLY_TARGETS && !ONLY_COMPARE) {
      // The write paths end to end, rollups and metrics ledger included (CTEs of the insert
      // statement since 1763700005000; how much they cost: COMPARE against a build before it).
      const writes: Array<[string, string, unknown, number]> = [
        ['POST /api/event (single)', '/api/event', event, 1],
        [BATCH100, '/api/events/batch', batch(100), 100],
        [BATCH1000, '/api/events/batch', batch(1000), 1000],
      ];
      for (const [name, path, body, size] of writes) outcomes.push(await load(name, base + path, body, size, count('events'), cpu));
      copy = await copyRate(db.url, 300_000);
    }

    const us = (v: number | null) => (v === null || !Number.isFinite(v) ? '?' : String(Math.round(v)));
    const row = (o: Outcome, label = o.name) =>
      `| ${label} | ${Math.round(o.rps).toLocaleString()} | ${Math.round(o.eventsPerSec).toLocaleString()} | ${o.p50} | ${o.p99} | ${o.acked.toLocaleString()} | ${o.stored === null ? '—' : o.stored.toLocaleString()} ` +
      `| ${us(o.cpu.server)} / ${us(o.cpu.postgres)}${o.cpu.nodes ? ` (${o.cpu.nodes.map(us).join(' + ')})` : ''} / ${us(o.cpu.loadGenerator)} | ${o.busy === null ? '?' : `${Math.round(100 * o.busy)}%`} |`;
    const header = () => {
      console.log('| scenario | requests/s | events/s | p50 ms | p99 ms | acknowledged | stored | CPU µs/request: server / PostgreSQL / load generator | machine busy |');
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    };
    console.log(`\ningestion, ${CONNECTIONS} connections, ${DURATION} s each (autocannon), ${ROUNDS} interleaved rounds of:\n`);
    header();
    for (const [r, round] of rounds.entries()) for (const o of round.values()) console.log(row(o, `${o.name} (round ${r + 1})`));
    if (copy !== null) {
      console.log(`\nwrite paths; raw COPY into events: ${Math.round(copy).toLocaleString()} rows/s\n`);
      header();
      for (const o of outcomes) console.log(row(o));
    }

    // The targets, from each round's own ratios (the median round shown), so that a noisy
    // round moves both sides of its ratio together.
    const medianOf = (name: string, of: (o: Outcome) => number) => median(rounds.map((r) => of(r.get(name)!)));
    const ratioOf = (a: string, b: string) => median(rounds.map((r) => r.get(a)!.rps / r.get(b)!.rps));
    const verdict = (met: boolean) => (met ? 'PASS' : 'FAIL');
    const perRound = (a: string, b: string, format: (x: number) => string) =>
      rounds.map((r) => format(r.get(a)!.rps / r.get(b)!.rps)).join(', ');
    const pct = (x: number) => `${Math.round(100 * x)}%`;
    const times = (x: number) => `${x.toFixed(1)}×`;
    console.log('\ntargets (median of the rounds; each round\'s own figure in brackets):');
    if (!ONLY_COMPARE) {
      const noDb = ratioOf(VALIDATE, BARE);
      const durable = ratioOf(SINGLE, NAIVE);
      const p99 = medianOf(SINGLE, (o) => o.p99);
      console.log(
        `- no-database route (POST /api/event/validate) ≥ 70% of bare Fastify + JSON schema: ${pct(noDb)} [${perRound(VALIDATE, BARE, pct)}] ` +
          `(${Math.round(medianOf(VALIDATE, (o) => o.rps)).toLocaleString()} vs ${Math.round(medianOf(BARE, (o) => o.rps)).toLocaleString()} req/s) ${verdict(noDb >= 0.7)}`,
      );
      console.log(
        `- durable single events ≥ 4× the naive baseline: ${times(durable)} [${perRound(SINGLE, NAIVE, times)}] ` +
          `(${Math.round(medianOf(SINGLE, (o) => o.rps)).toLocaleString()} vs ${Math.round(medianOf(NAIVE, (o) => o.rps)).toLocaleString()} req/s) ${verdict(durable >= 4)}`,
      );
      console.log(`- single-event p99 ≤ 25 ms: ${p99} ms [${rounds.map((r) => r.get(SINGLE)!.p99).join(', ')}] ${verdict(p99 <= 25)}`);
      console.log(`- (for reference) durable single events / no-database route: ${pct(ratioOf(SINGLE, VALIDATE))}`);
    }
    if (compare) {
      for (const name of ONLY_COMPARE ? [SINGLE, BATCH100, BATCH1000] : [VALIDATE, SINGLE, BATCH100, BATCH1000]) {
        const theirs = `${name} [COMPARE]`;
        console.log(
          `- COMPARE: this build / the other, ${name}: ${pct(ratioOf(name, theirs))} [${perRound(name, theirs, pct)}] ` +
            `(${Math.round(medianOf(name, (o) => o.eventsPerSec)).toLocaleString()} vs ${Math.round(medianOf(theirs, (o) => o.eventsPerSec)).toLocaleString()} events/s; ` +
            `p99 ${medianOf(name, (o) => o.p99)} vs ${medianOf(theirs, (o) => o.p99)} ms)`,
        );
      }
    }
    if (copy !== null) {
      const batch1000 = outcomes[2];
      console.log(`- batch ×1000: ${Math.round(batch1000.eventsPerSec).toLocaleString()} events/s (≥ 60,000) ${verdict(batch1000.eventsPerSec >= 60_000)}, ${pct(batch1000.eventsPerSec / copy)} of COPY (≥ 60%) ${verdict(batch1000.eventsPerSec >= 0.6 * copy)}`);
    }
    // Everything shares this machine's cores: the CPU a request costs the three processes bounds
    // the rate any design can reach here, whatever it overlaps or batches.
    const cores = availableParallelism();
    const spentOn = (name: string) => {
      const parts = rounds.map((r) => r.get(name)!.cpu);
      if (parts.some((c) => c.server === null)) return null;
      return {
        server: median(parts.map((c) => c.server!)),
        postgres: median(parts.map((c) => c.postgres ?? 0)),
        loadGenerator: median(parts.map((c) => c.loadGenerator)),
      };
    };
    for (const name of [BARE, VALIDATE, SINGLE].filter((n) => rounds[0].has(n))) {
      const c = spentOn(name);
      if (c === null) continue;
      const total = c.server + c.postgres + c.loadGenerator;
      console.log(
        `- CPU per request, ${name}: ${Math.round(total)} µs (server ${Math.round(c.server)} + PostgreSQL ${Math.round(c.postgres)} + load generator ` +
          `${Math.round(c.loadGenerator)}): ${cores} cores allow ${Math.round((cores * 1e6) / total).toLocaleString()} req/s, one core for the server ` +
          `${Math.round(1e6 / c.server).toLocaleString()} req/s`,
      );
    }
    // Events per CPU-second of the service and its PostgreSQL servers (the load generator left
    // out): the "events per second per core" of docs/scaling.md.
    const eventsOf = (name: string) => (name.includes('×1000') ? 1000 : name.includes('×100') ? 100 : 1);
    for (const name of rounds[0].keys()) {
      const c = spentOn(name);
      if (c === null || name === BARE || name.startsWith(VALIDATE)) continue;
      const perEvent = (c.server + c.postgres) / eventsOf(name);
      const nodes = rounds.map((r) => r.get(name)!.cpu.nodes);
      const byNode = nodes.every((n) => n !== null)
        ? `; PostgreSQL by node ${nodes[0]!.map((_, i) => Math.round(median(nodes.map((n) => n![i])) / eventsOf(name))).join(' / ')} µs/event`
        : '';
      console.log(
        `- CPU per event, ${name}: service ${Math.round(c.server / eventsOf(name))} + PostgreSQL ${Math.round(c.postgres / eventsOf(name))} µs ` +
          `= ${Math.round(1e6 / perEvent).toLocaleString()} events per CPU-second${byNode}`,
      );
    }
    const all = [...rounds.flatMap((r) => [...r.values()]), ...outcomes];
    const lost = all.filter((o) => o.stored !== null && o.stored < o.acked);
    // More stored than acknowledged: requests the load generator gave up on (its 10 s timeout)
    // that the service still completed: slow, not wrong.
    const late = all.filter((o) => o.stored !== null && o.stored > o.acked);
    console.log(`- acknowledged events all stored: ${lost.length === 0 ? 'yes, in every scenario' : `NO: ${lost.map((o) => o.name).join(', ')}`}`);
    if (late.length) console.log(`- stored but answered after the client's 10 s timeout: ${late.map((o) => `${o.name} (${(o.stored! - o.acked).toLocaleString()})`).join(', ')}`);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await compareDb?.close();
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
