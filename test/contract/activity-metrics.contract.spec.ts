import { DataSource } from 'typeorm';
import { InMemoryActivityMetricsRepository } from '../../src/metrics/adapters/persistence/in-memory-activity-metrics.repository';
import { TypeOrmActivityMetricsRepository } from '../../src/metrics/adapters/persistence/typeorm-activity-metrics.repository';
import { WINDOW_MARKING_PROJECTION } from '../../src/metrics/adapters/persistence/window-marking.projection';
import { ComputeActivityMetricsCommand, ComputeActivityMetricsHandler } from '../../src/metrics/application/compute-activity-metrics';
import { ActivityMetricsRepository, StoredUserActivity } from '../../src/metrics/domain/activity-metrics.repository';
import { ActivityWindow } from '../../src/metrics/domain/activity-window';
import { computeUserActivity, UserActivity } from '../../src/metrics/domain/user-activity';
import { windowStatus } from '../../src/metrics/domain/window-ledger';
import { uuidv7 } from '../../src/shared/uuid';
import { EventOrmEntity } from '../../src/tracking/adapters/persistence/event.orm-entity';
import { InMemoryEventRepository } from '../../src/tracking/adapters/persistence/in-memory-event.repository';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { EventWriteProjections } from '../../src/tracking/application/event-write-projections';
import { EventRepository } from '../../src/tracking/domain/event.repository';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { openTestDataSource } from '../support/database';
import { truncateAll } from '../support/test-app';

/**
 * The metrics port, in-memory and PostgreSQL, held to the same scenarios — and to the pure
 * reference function: the set-based SQL must give exactly its numbers.
 */
let dataSource: DataSource;
beforeAll(async () => {
  dataSource = await openTestDataSource([EventOrmEntity]);
});
afterAll(async () => {
  await dataSource.destroy();
});

interface Stores {
  events: EventRepository;
  metrics: ActivityMetricsRepository;
}

function postgresEvents(manager = dataSource.manager): TypeOrmEventRepository {
  const projections = new EventWriteProjections();
  projections.register(WINDOW_MARKING_PROJECTION);
  return new TypeOrmEventRepository(manager.getRepository(EventOrmEntity), projections);
}

const adapters: Array<[string, () => Promise<Stores>]> = [
  [
    'in-memory',
    async () => {
      const projections = new EventWriteProjections();
      const events = new InMemoryEventRepository(projections);
      const metrics = new InMemoryActivityMetricsRepository(events);
      projections.register(metrics.windowMarking);
      return { events, metrics };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      await truncateAll(dataSource);
      return { events: postgresEvents(), metrics: new TypeOrmActivityMetricsRepository(dataSource) };
    },
  ],
];

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY0 = Date.parse('2025-10-22T00:00:00.000Z');
const USERS = ['1', '2', '10', 'B', 'a', 'b', 'ü-user', 'user 7', 'Ω', 'x"quote', '42'];
const ACTIONS = ['login', 'page_view', 'click', 'purchase', 'ação', 'a,b'];

/** Random events over three days: on boundaries, a millisecond before them, ties, exact 30-min gaps. */
function generateEvents(seed: number, count: number): TrackedEvent[] {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const events: TrackedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const previous = events.length > 0 ? pick(events) : undefined;
    const roll = next();
    let time: number;
    if (roll < 0.15) time = DAY0 + Math.floor(next() * 18) * 4 * 3_600_000; // exactly on a boundary
    else if (roll < 0.25) time = DAY0 + Math.floor(1 + next() * 17) * 4 * 3_600_000 - 1; // 1 ms before one
    else if (roll < 0.35 && previous) time = previous.occurredAt.getTime(); // a tie
    else if (roll < 0.45 && previous) time = previous.occurredAt.getTime() + 30 * 60_000 + (next() < 0.5 ? 0 : 1); // gap edge
    else time = DAY0 + Math.floor(next() * 3 * 86_400_000);
    const userId = roll > 0.95 ? null : previous && next() < 0.3 ? previous.userId : pick(USERS);
    events.push({
      id: uuidv7(),
      userId,
      action: pick(ACTIONS),
      occurredAt: new Date(time),
      receivedAt: new Date(DAY0 + 4 * 86_400_000),
      metadata: {},
      siteId: null,
      path: null,
    });
  }
  return events;
}

async function allMetrics(metrics: ActivityMetricsRepository): Promise<StoredUserActivity[]> {
  const rows: StoredUserActivity[] = [];
  let after: { windowStart: Date; userId: string } | undefined;
  for (;;) {
    const page = await metrics.listMetrics({ limit: 37, after });
    rows.push(...page);
    if (page.length < 37) return rows;
    const last = page[page.length - 1];
    after = { windowStart: last.window.start, userId: last.userId };
  }
}

function expectedMetrics(events: TrackedEvent[]): Array<UserActivity & { windowStart: string }> {
  const byWindow = new Map<number, TrackedEvent[]>();
  for (const e of events) {
    if (e.userId === null) continue;
    const key = ActivityWindow.containing(e.occurredAt).start.getTime();
    byWindow.set(key, [...(byWindow.get(key) ?? []), e]);
  }
  return [...byWindow.keys()]
    .sort((a, b) => a - b)
    .flatMap((key) =>
      computeUserActivity(byWindow.get(key)!.map((e) => ({ userId: e.userId!, action: e.action, occurredAt: e.occurredAt }))).map((m) => ({
        ...m,
        windowStart: new Date(key).toISOString(),
      })),
    );
}

const strip = (rows: StoredUserActivity[]) =>
  rows.map(({ window, computedAt: _computedAt, ...rest }) => ({ ...rest, windowStart: window.start.toISOString() }));

const NOW = new Date(DAY0 + 10 * 86_400_000);

describe.each(adapters)('ActivityMetricsRepository contract: %s', (_name, make) => {
  let stores: Stores;
  let compute: ComputeActivityMetricsHandler;
  beforeEach(async () => {
    stores = await make();
    compute = new ComputeActivityMetricsHandler(stores.metrics);
  });

  it.each([1, 2, 3, 4])('computes exactly the reference metrics for random events (seed %i)', async (seed) => {
    const events = generateEvents(seed, 400);
    // Several writes, as clients would send them.
    for (let i = 0; i < events.length; i += 100) await stores.events.insertNew(events.slice(i, i + 100));
    const run = await compute.execute(new ComputeActivityMetricsCommand('cli', undefined, NOW));
    const expected = expectedMetrics(events);
    expect(strip(await allMetrics(stores.metrics))).toEqual(expected);
    // The ledger agrees with the rows, and every window is computed once.
    const ledger = await stores.metrics.listWindows({ now: NOW, limit: 1000 });
    expect(ledger.map((w) => w.window.start.toISOString())).toEqual([...new Set(expected.map((m) => m.windowStart))]);
    for (const entry of ledger) {
      const rows = expected.filter((m) => m.windowStart === entry.window.start.toISOString());
      expect([entry.users, entry.events, entry.computations, windowStatus(entry, NOW)]).toEqual([
        rows.length,
        rows.reduce((sum, m) => sum + m.eventCount, 0),
        1,
        'computed',
      ]);
    }
    expect(run.windows).toHaveLength(ledger.length);
  });

  it('marks a computed window stale on a late event, recomputes only it, then has nothing to do', async () => {
    const base = generateEvents(9, 60);
    await stores.events.insertNew(base);
    await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    const late = { ...base[0], id: uuidv7(), userId: 'late-user', action: 'late' };
    await stores.events.insertNew([late]);
    const lateWindow = ActivityWindow.containing(late.occurredAt);
    const stale = await stores.metrics.listWindows({ now: NOW, limit: 1000, status: 'stale' });
    expect(stale.map((w) => w.window.start)).toEqual([lateWindow.start]);

    const rerun = await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    expect(rerun.windows.map((w) => w.window.start)).toEqual([lateWindow.start]);
    expect(strip(await allMetrics(stores.metrics))).toEqual(expectedMetrics([...base, late]));
    expect((await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, NOW))).windows).toEqual([]);
    // Rewriting an event that is already stored changes nothing: no window goes stale.
    await stores.events.insertNew([late]);
    expect(await stores.metrics.listWindows({ now: NOW, limit: 1000, status: 'stale' })).toEqual([]);
  });

  it('backfills a range whatever the state, skipping windows without events', async () => {
    const events = generateEvents(5, 200);
    await stores.events.insertNew(events);
    await compute.execute(new ComputeActivityMetricsCommand('http', undefined, NOW));
    const range = { from: new Date(DAY0 + 86_400_000), till: new Date(DAY0 + 2 * 86_400_000) };
    const backfill = await compute.execute(new ComputeActivityMetricsCommand('http', range, NOW));
    const inRange = [...new Set(expectedMetrics(events).map((m) => m.windowStart))].filter(
      (w) => Date.parse(w) >= range.from.getTime() && Date.parse(w) < range.till.getTime(),
    );
    expect(backfill.windows.map((w) => w.window.start.toISOString())).toEqual(inRange);
    expect(strip(await allMetrics(stores.metrics))).toEqual(expectedMetrics(events));
    const ledger = await stores.metrics.listWindows({ now: NOW, limit: 1000 });
    for (const entry of ledger) {
      expect(entry.computations).toBe(inRange.includes(entry.window.start.toISOString()) ? 2 : 1);
    }
  });

  it('lets only one of several simultaneous computations of a window do the work', async () => {
    const events = generateEvents(13, 200);
    await stores.events.insertNew(events);
    const window = ActivityWindow.containing(events.find((e) => e.userId !== null)!.occurredAt);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => stores.metrics.computeWindow(window, { trigger: 'http', force: false, seenComputations: 0 })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const [entry] = await stores.metrics.listWindows({ now: NOW, from: window.start, till: window.end, limit: 1 });
    expect(entry.computations).toBe(1);
    // Backfills that found the window before it was computed skip it; one that finds it after recomputes.
    const backfills = await Promise.all(
      Array.from({ length: 3 }, () => stores.metrics.computeWindow(window, { trigger: 'http', force: true, seenComputations: 1 })),
    );
    expect(backfills.filter((r) => r !== null)).toHaveLength(1);
  });

  it('leaves windows that have not ended alone, even in a backfill', async () => {
    const now = new Date(DAY0 + 13 * 3_600_000); // inside the 12:00 window of day 0
    await stores.events.insertNew(generateEvents(3, 100).filter((e) => e.occurredAt < now));
    const run = await compute.execute(new ComputeActivityMetricsCommand('http', { from: new Date(DAY0), till: now }, now));
    expect(run.windows.every((w) => w.window.hasEnded(now))).toBe(true);
    const open = await stores.metrics.listWindows({ now, limit: 100, status: 'open' });
    expect(open.map((w) => w.window.start.toISOString())).toEqual(['2025-10-22T12:00:00.000Z']);
  });

  it('lists the ledger oldest or newest first, each order paged by the last window_start served', async () => {
    await stores.events.insertNew(generateEvents(17, 300));
    const asc = (await stores.metrics.listWindows({ now: NOW, limit: 1000 })).map((w) => w.window.start.toISOString());
    const desc = (await stores.metrics.listWindows({ now: NOW, limit: 1000, order: 'desc' })).map((w) => w.window.start.toISOString());
    expect(asc.length).toBeGreaterThan(3);
    expect(desc).toEqual([...asc].reverse());
    const walk = async (order: 'asc' | 'desc') => {
      const seen: string[] = [];
      for (let after: Date | undefined; ; ) {
        const page = await stores.metrics.listWindows({ now: NOW, limit: 2, order, afterWindowStart: after });
        if (page.length === 0) return seen;
        seen.push(...page.map((w) => w.window.start.toISOString()));
        after = page[page.length - 1].window.start;
      }
    };
    expect(await walk('asc')).toEqual(asc);
    expect(await walk('desc')).toEqual(desc);
  });

  it('filters metrics by user and by windows overlapping a range', async () => {
    const events = generateEvents(11, 300);
    await stores.events.insertNew(events);
    await compute.execute(new ComputeActivityMetricsCommand('http', undefined, NOW));
    const expected = expectedMetrics(events);
    const forUser = await stores.metrics.listMetrics({ userId: 'a', limit: 1000 });
    expect(strip(forUser)).toEqual(expected.filter((m) => m.userId === 'a'));
    // [13:07, 16:00) overlaps only the 12:00 window; [13:07, 16:00:00.001) also the 16:00 one.
    const from = new Date(DAY0 + 13 * 3_600_000 + 7 * 60_000);
    const one = await stores.metrics.listMetrics({ from, till: new Date(DAY0 + 16 * 3_600_000), limit: 1000 });
    expect(new Set(one.map((m) => m.window.start.toISOString()))).toEqual(new Set(['2025-10-22T12:00:00.000Z']));
    const two = await stores.metrics.listMetrics({ from, till: new Date(DAY0 + 16 * 3_600_000 + 1), limit: 1000 });
    expect(new Set(two.map((m) => m.window.start.toISOString()))).toEqual(new Set(['2025-10-22T12:00:00.000Z', '2025-10-22T16:00:00.000Z']));
  });

  it('exports exactly the rows the list has, in its order, without a page size', async () => {
    const events = generateEvents(13, 1500);
    await stores.events.insertNew(events);
    await compute.execute(new ComputeActivityMetricsCommand('http', undefined, NOW));
    const all = async <T>(rows: AsyncIterable<T>) => {
      const out: T[] = [];
      for await (const row of rows) out.push(row);
      return out;
    };
    const from = new Date(DAY0 + 13 * 3_600_000);
    for (const filter of [{}, { userId: 'a' }, { from, till: new Date(DAY0 + 20 * 3_600_000) }]) {
      const listed = await stores.metrics.listMetrics({ ...filter, limit: 100_000 });
      expect(listed.length).toBeGreaterThan(0);
      expect(await all(stores.metrics.exportMetrics(filter))).toEqual(listed);
    }
  });
});

describe('PostgreSQL: an event committed while its window is being computed', () => {
  it('leaves the window stale, never computed without the event', async () => {
    await truncateAll(dataSource);
    const events = postgresEvents();
    const metrics = new TypeOrmActivityMetricsRepository(dataSource);
    const window = ActivityWindow.containing(new Date(DAY0 + 3_600_000));
    const make = (userId: string): TrackedEvent => ({
      id: uuidv7(),
      userId,
      action: 'a',
      occurredAt: new Date(DAY0 + 3_600_000),
      receivedAt: NOW,
      metadata: {},
      siteId: null,
      path: null,
    });
    await events.insertNew([make('early')]);

    // A writer holds its transaction open across the start of the computation.
    const writer = dataSource.createQueryRunner();
    await writer.connect();
    await writer.startTransaction();
    await postgresEvents(writer.manager).insertNew([make('racing')]);
    const computation = metrics.computeWindow(window, { trigger: 'http', force: false, seenComputations: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writer.commitTransaction();
    await writer.release();
    await computation;

    const [entry] = await metrics.listWindows({ now: NOW, limit: 10 });
    const users = (await metrics.listMetrics({ limit: 10 })).map((m) => m.userId);
    // Either the computation saw the event (and says computed) or it did not (and says stale).
    if (windowStatus(entry, NOW) === 'computed') expect(users).toEqual(['early', 'racing']);
    else expect(windowStatus(entry, NOW)).toBe('stale');
    // With the writer holding its lock, the computation cannot have seen it: stale.
    expect(windowStatus(entry, NOW)).toBe('stale');
    expect(users).toEqual(['early']);

    const next = await new ComputeActivityMetricsHandler(metrics).execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    expect(next.windows).toHaveLength(1);
    expect((await metrics.listMetrics({ limit: 10 })).map((m) => m.userId)).toEqual(['early', 'racing']);
  });
});

describe('PostgreSQL: a backfill over a window whose events were removed', () => {
  it('drops its metric rows and its ledger entry', async () => {
    await truncateAll(dataSource);
    const metrics = new TypeOrmActivityMetricsRepository(dataSource);
    const compute = new ComputeActivityMetricsHandler(metrics);
    const events = generateEvents(21, 100);
    await postgresEvents().insertNew(events);
    await compute.execute(new ComputeActivityMetricsCommand('http', undefined, NOW));
    const gone = ActivityWindow.containing(events.find((e) => e.userId !== null)!.occurredAt);
    // An operator purges a window's events by hand (retention, GDPR erasure).
    await dataSource.query('DELETE FROM events WHERE occurred_at >= $1 AND occurred_at < $2', [gone.start, gone.end]);
    await compute.execute(new ComputeActivityMetricsCommand('http', { from: gone.start, till: gone.end }, NOW));
    expect(await metrics.listMetrics({ from: gone.start, till: gone.end, limit: 10 })).toEqual([]);
    const ledger = await metrics.listWindows({ now: NOW, limit: 1000 });
    expect(ledger.map((w) => w.window.start)).not.toContainEqual(gone.start);
    const remaining = events.filter((e) => !gone.contains(e.occurredAt));
    expect(strip(await allMetrics(metrics))).toEqual(expectedMetrics(remaining));
  });
});

describe('PostgreSQL: concurrent backfills of the same range, on one replica and several', () => {
  it('computes each window once: a backfill that waited skips what another computed after it started', async () => {
    await truncateAll(dataSource);
    const metrics = new TypeOrmActivityMetricsRepository(dataSource);
    const events = generateEvents(31, 400);
    await postgresEvents().insertNew(events);
    await new ComputeActivityMetricsHandler(metrics).execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    const before = await metrics.listWindows({ now: NOW, limit: 1000 });
    expect(before.length).toBeGreaterThan(10);
    expect(before.every((w) => w.computations === 1)).toBe(true);

    // Three replicas (each its own handler, as each process has one), eight backfills at once.
    const replicas = Array.from({ length: 3 }, () => new ComputeActivityMetricsHandler(new TypeOrmActivityMetricsRepository(dataSource)));
    const range = { from: new Date(DAY0), till: new Date(DAY0 + 3 * 86_400_000) };
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => replicas[i % replicas.length].execute(new ComputeActivityMetricsCommand('http', range, NOW))),
    );
    const computed = runs.flatMap((run) => run.windows.map((w) => w.window.start.toISOString()));
    expect(computed.sort()).toEqual(before.map((w) => w.window.start.toISOString()).sort());
    const after = await metrics.listWindows({ now: NOW, limit: 1000 });
    expect(after.map((w) => [w.window.start.toISOString(), w.computations])).toEqual(
      before.map((w) => [w.window.start.toISOString(), 2]),
    );
    expect(strip(await allMetrics(metrics))).toEqual(expectedMetrics(events));

    // A backfill that arrives after they finished recomputes the range, as asked.
    const later = await replicas[0].execute(new ComputeActivityMetricsCommand('http', range, NOW));
    expect(later.windows).toHaveLength(before.length);
  });

  it('on one replica: backfills and a plain run queued behind a backfill skip what it computed', async () => {
    await truncateAll(dataSource);
    const metrics = new TypeOrmActivityMetricsRepository(dataSource);
    const compute = new ComputeActivityMetricsHandler(metrics);
    const events = generateEvents(37, 100);
    await postgresEvents().insertNew(events);
    const window = ActivityWindow.containing(events.find((e) => e.userId !== null)!.occurredAt);
    // Another session holds the window's lock; the runs of this process queue behind it.
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [0x74726b, window.index]);
    const range = { from: window.start, till: window.end };
    const first = compute.execute(new ComputeActivityMetricsCommand('http', range, NOW));
    await new Promise((r) => setTimeout(r, 100));
    const second = compute.execute(new ComputeActivityMetricsCommand('cli', range, NOW));
    const plain = compute.execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    await new Promise((r) => setTimeout(r, 100));
    await holder.commitTransaction();
    await holder.release();
    expect((await first).windows.map((w) => w.window.start)).toEqual([window.start]);
    expect((await second).windows).toEqual([]); // computed by the first after the second arrived
    expect((await plain).windows.map((w) => w.window.start)).not.toContainEqual(window.start);
    // A late event makes the window stale: the next plain run computes it again.
    await postgresEvents().insertNew([{ ...events.find((e) => window.contains(e.occurredAt))!, id: uuidv7(), action: 'late' }]);
    const next = await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, NOW));
    expect(next.windows.map((w) => w.window.start)).toEqual([window.start]);
    const [entry] = await metrics.listWindows({ now: NOW, from: window.start, till: window.end, limit: 1 });
    expect(entry.computations).toBe(2);
  });
});
