import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { TypeOrmAnalyticsReadModel } from '../../src/analytics/adapters/persistence/typeorm-analytics.read-model';
import { Overview } from '../../src/analytics/application/analytics.read-model';
import { Period, periodsOf } from '../../src/analytics/application/periods';
import { uuidv7 } from '../../src/shared/uuid';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { openRollupStore } from '../support/rollup-store';
import { dropAllTables } from '../support/tables';
import { MIGRATIONS } from '../../migrations';
import { dataSourceOptions } from '../../src/shared/database/data-source-options';
import { runMigrations } from '../../src/shared/database/run-migrations';
import { EventPartitions } from '../../src/tracking/adapters/persistence/event-partitions';
import { truncateAll } from '../support/test-app';
import { ReadDatabase } from '../../src/shared/database/read-database';

/**
 * The analytics rollups (maintained by the write projection of every event write; the upgrade
 * that backfills them is tested in upgrade-to-partitioned.spec.ts)
 * against a reference computed here from the events themselves: every read must be exact,
 * whatever the batches, duplicates, sites, anonymous events and range edges.
 */
let db: DataSource;
let events: TypeOrmEventRepository;
let analytics: TypeOrmAnalyticsReadModel;
beforeAll(async () => {
  ({ db, events, analytics } = await openRollupStore());
});
afterAll(async () => {
  await db.destroy();
});

const DAY = 86_400_000;
const T0 = Date.parse('2025-07-28T00:00:00Z'); // a Monday; the data spans 12 days, across a month end
const SPAN = 12 * DAY;
const SITES = [null, '', 's1', 's2'];
const ACTIONS = ['page_view', 'click', 'login'];
const PATHS = [null, '', '/a', '/b', '/c'];

// Instants bunched on midnights (exactly, and a millisecond either side) and spread otherwise.
const instant = fc.oneof(
  fc.integer({ min: 0, max: SPAN - 1 }),
  fc.integer({ min: 0, max: 11 }).chain((d) => fc.constantFrom(d * DAY, d * DAY - 1, d * DAY + 1).filter((t) => t >= 0)),
);
const eventArb = fc.record({
  userId: fc.option(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'u6', '42', 'NULL'), { nil: null, freq: 5 }),
  action: fc.constantFrom(...ACTIONS),
  at: instant,
  siteId: fc.constantFrom(...SITES),
  path: fc.constantFrom(...PATHS),
});
type Gen = { userId: string | null; action: string; at: number; siteId: string | null; path: string | null };

const toEvent = (g: Gen): TrackedEvent => ({
  id: uuidv7(),
  userId: g.userId,
  action: g.action,
  occurredAt: new Date(T0 + g.at),
  receivedAt: new Date(),
  metadata: {},
  siteId: g.siteId,
  path: g.path,
});

/** Writes the events in batches of the given sizes, each batch re-sending some earlier events. */
async function store(all: TrackedEvent[], sizes: number[]): Promise<void> {
  let i = 0;
  for (let b = 0; i < all.length; b++) {
    const size = sizes[b % sizes.length];
    const batch = all.slice(i, i + size);
    const resent = all.slice(Math.max(0, i - 2), i); // duplicates: already stored, must count once
    await events.insertNew([...batch, ...resent]);
    i += size;
  }
}

function referenceOverview(all: TrackedEvent[], from: Date | undefined, till: Date | undefined, siteId: string | undefined, top: number): Overview {
  const inRange = all.filter(
    (e) => (!from || e.occurredAt >= from) && (!till || e.occurredAt < till) && (siteId === undefined || e.siteId === siteId),
  );
  const eventsByAction: Record<string, number> = {};
  for (const e of inRange) eventsByAction[e.action] = (eventsByAction[e.action] ?? 0) + 1;
  const views = new Map<string, number>();
  for (const e of inRange) if (e.action === 'page_view' && e.path !== null) views.set(e.path, (views.get(e.path) ?? 0) + 1);
  return {
    totalEvents: inRange.length,
    uniqueUsers: new Set(inRange.filter((e) => e.userId !== null).map((e) => e.userId)).size,
    // Users of the range with no event (of the site) before `from`, ever.
    newUsers: new Set(
      inRange
        .filter((e) => e.userId !== null)
        .filter((e) => !all.some((b) => b.userId === e.userId && from && b.occurredAt < from && (siteId === undefined || b.siteId === siteId)))
        .map((e) => e.userId),
    ).size,
    pageViews: eventsByAction.page_view ?? 0,
    eventsByAction,
    topPaths: [...views.entries()]
      .sort(([pa, a], [pb, b]) => b - a || (pa < pb ? -1 : 1))
      .slice(0, top)
      .map(([path, n]) => ({ path, views: n })),
    // Per site: busiest first, ties by site id in byte order, "no site" (null) last.
    sites: [...new Set(inRange.map((e) => e.siteId))]
      .map((site) => {
        const of = inRange.filter((e) => e.siteId === site);
        return {
          siteId: site,
          events: of.length,
          uniqueUsers: new Set(of.filter((e) => e.userId !== null).map((e) => e.userId)).size,
          pageViews: of.filter((e) => e.action === 'page_view').length,
        };
      })
      .sort((a, b) => b.events - a.events || (a.siteId === null ? 1 : b.siteId === null ? -1 : a.siteId < b.siteId ? -1 : 1)),
  };
}

function referenceUsers(all: TrackedEvent[], periods: Period[], siteId?: string, action?: string): number[] {
  return periods.map(
    (p) =>
      new Set(
        all
          .filter(
            (e) =>
              e.userId !== null &&
              e.occurredAt >= p.from &&
              e.occurredAt < p.till &&
              (siteId === undefined || e.siteId === siteId) &&
              (action === undefined || e.action === action),
          )
          .map((e) => e.userId),
      ).size,
  );
}

const bound = fc.option(
  fc.oneof(fc.integer({ min: -DAY, max: SPAN + DAY }), fc.integer({ min: -1, max: 13 }).map((d) => d * DAY)),
  { nil: undefined },
);
const question = fc.record({
  from: bound,
  till: bound,
  siteId: fc.option(fc.constantFrom('', 's1', 's2', 'nowhere'), { nil: undefined }),
  top: fc.integer({ min: 1, max: 4 }),
  interval: fc.constantFrom('day' as const, 'week' as const, 'month' as const),
  firstDay: fc.integer({ min: -3, max: 13 }),
  days: fc.integer({ min: 0, max: 14 }),
  rolling: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
  action: fc.constantFrom(undefined, 'login'),
});

type Question = typeof question extends fc.Arbitrary<infer Q> ? Q : never;

async function checkAgainstReference(all: TrackedEvent[], questions: Question[]) {
  for (const q of questions) {
    const from = q.from === undefined ? undefined : new Date(T0 + q.from);
    let till = q.till === undefined ? undefined : new Date(T0 + q.till);
    if (from && till && till < from) till = from;
    expect(await analytics.overview({ from, till, siteId: q.siteId, top: q.top })).toEqual(referenceOverview(all, from, till, q.siteId, q.top));

    const first = new Date(T0 + q.firstDay * DAY);
    const rolling = q.interval === 'day' ? q.rolling : undefined;
    const periods = periodsOf(q.interval, first, new Date(first.getTime() + q.days * DAY), rolling);
    const options = { siteId: q.siteId, action: q.action };
    expect(await analytics.uniqueUsers(periods, options)).toEqual(referenceUsers(all, periods, q.siteId, q.action));
  }
}

describe('analytics rollups', () => {
  beforeEach(async () => {
    await truncateAll(db);
  });

  it('answer every overview and unique-users question exactly as the raw events do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 0, maxLength: 80, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 4 }),
        fc.array(question, { minLength: 1, maxLength: 8, size: 'max' }),
        async (gens, sizes, questions) => {
          await truncateAll(db);
          const all = gens.map(toEvent);
          await store(all, sizes);
          await checkAgainstReference(all, questions);
        },
      ),
      // Fewer runs on the Citus suite, where every write is a distributed transaction.
      { numRuns: process.env.TEST_DATABASE_IN_PLACE === '1' ? 15 : 40 },
    );
  });

  it('count a user with several events in partial days once, with and without whole days between', async () => {
    const at = (day: number, hour: number) => day * DAY + hour * 3_600_000;
    const gens: Gen[] = [
      { userId: 'u1', action: 'click', at: at(2, 10), siteId: null, path: null },
      { userId: 'u1', action: 'click', at: at(2, 11), siteId: null, path: null },
      { userId: 'u2', action: 'page_view', at: at(2, 10.5), siteId: 's1', path: '/a' },
      { userId: 'u3', action: 'click', at: at(2, 23.5), siteId: null, path: null },
      { userId: 'u3', action: 'click', at: at(3, 0.5), siteId: null, path: null },
      { userId: 'u4', action: 'click', at: at(4, 12), siteId: null, path: null },
      { userId: 'u3', action: 'click', at: at(5, 1), siteId: null, path: null },
      { userId: 'u5', action: 'click', at: at(5, 2), siteId: null, path: null },
      { userId: 'u5', action: 'click', at: at(5, 3), siteId: null, path: null },
    ];
    const all = gens.map(toEvent);
    await store(all, [4]);
    const ask = async (from: number, till: number) => {
      const range = { from: new Date(T0 + from), till: new Date(T0 + till) };
      const expected = referenceOverview(all, range.from, range.till, undefined, 3);
      expect(await analytics.overview({ ...range, top: 3 })).toEqual(expected);
      return expected.uniqueUsers;
    };
    expect(await ask(at(2, 9), at(2, 12))).toBe(2); // inside one day
    expect(await ask(at(2, 23), at(3, 1))).toBe(1); // across midnight, no whole day
    expect(await ask(at(2, 9), at(5, 4))).toBe(5); // partial days around whole days 3 and 4
    expect(await ask(at(2, 23), at(5, 2))).toBe(2); // u3 on both edges and a whole day, u4 whole
  });

  it('count a duplicate once: re-sending every event changes no rollup row', async () => {
    const all = fc.sample(eventArb, { numRuns: 200, seed: 7 }).map(toEvent);
    await store(all, [50]);
    const snapshot = async () =>
      db.query(`SELECT (SELECT json_agg(t ORDER BY t::text) FROM analytics_daily_actions t) AS a,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_daily_paths t) AS p,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_user_sets t) AS s,
                       (SELECT count(*) FROM analytics_users) AS u`);
    const before = await snapshot();
    expect(await events.insertNew(all)).toEqual(new Set());
    expect(await snapshot()).toEqual(before);
  });

  it('give every user one id and one bit when concurrent writers bring the same new users', async () => {
    // Each writer sends its own events of the same 300 new users, in its own order: the user
    // ids are assigned under contention, and a user counted by no writer would show here.
    const users = Array.from({ length: 300 }, (_, i) => `new-${i}`);
    const writers = Array.from({ length: 8 }, (_, w) =>
      Array.from({ length: 3 }, (_, b) =>
        users
          .filter((_, i) => (i + w + b) % 3 === 0)
          .map((u, i) => toEvent({ userId: u, action: 'login', at: (w * 7 + b * 13 + i) * 60_000, siteId: w % 2 ? 's1' : null, path: null })),
      ),
    );
    await Promise.all(writers.map(async (batches) => {
      for (const batch of batches) await events.insertNew(batch);
    }));
    const all = writers.flat(2);
    const [{ ids, distinct }] = await db.query(`SELECT count(*)::int AS ids, count(DISTINCT uid)::int AS distinct FROM analytics_users`);
    expect({ ids, distinct }).toEqual({ ids: 300, distinct: 300 });
    const day = periodsOf('day', new Date(T0), new Date(T0));
    expect(await analytics.uniqueUsers(day)).toEqual(referenceUsers(all, day));
    expect(await analytics.uniqueUsers(day, { siteId: 's1', action: 'login' })).toEqual(referenceUsers(all, day, 's1', 'login'));
  });

  it('answer an overview of whole days from the rollups alone: no partition of events is even planned', async () => {
    // Planning and opening every weekly partition for an edge scan that reads nothing made the
    // one-day overview 10–15% slower than on the unpartitioned table, and more so the more
    // weeks are kept. Each statement of the read model is explained on the same database here.
    const all = fc.sample(eventArb, { numRuns: 80, seed: 11 }).map(toEvent);
    await store(all, [20]);
    const plans: string[] = [];
    const explaining = {
      query: async (sql: string, params: unknown[]) => {
        const [{ 'QUERY PLAN': plan }] = await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        plans.push(JSON.stringify(plan));
        return db.query(sql, params);
      },
    } as unknown as DataSource;
    const observed = new TypeOrmAnalyticsReadModel(db, { read: (run: (d: DataSource) => unknown) => run(explaining) } as unknown as ReadDatabase);
    const eventScans = () => (plans.pop()!.match(/"Relation Name":"events[^"]*"/g) ?? []).length;
    const ask = async (from: number, till: number, siteId?: string) => {
      const range = { from: new Date(T0 + from), till: new Date(T0 + till), siteId, top: 3 };
      expect(await observed.overview(range)).toEqual(referenceOverview(all, range.from, range.till, siteId, 3));
      return eventScans();
    };
    expect(await ask(DAY, 4 * DAY)).toBe(0);
    expect(await ask(2 * DAY, 3 * DAY, 's1')).toBe(0);
    // A bound off the whole hours is read from events (so the zeros above are no blind spot of the
    // check); a whole hour is read from the hourly rollups since time zones came.
    expect(await ask(DAY + 1_800_000, 4 * DAY)).toBeGreaterThan(0);
  });

  it('keep user ids dense: events of users already known use up no id', async () => {
    // The bitmaps are as long as the highest id, so an id burnt per known user per insert
    // (what INSERT … ON CONFLICT DO NOTHING does with an identity column) would spread the
    // sets over ever more chunks as traffic goes on.
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    for (let round = 0; round < 20; round++) {
      const batch = users.map((u, i) => toEvent({ userId: u, action: 'click', at: (round * 50 + i) * 60_000, siteId: null, path: null }));
      await events.insertNew(round % 2 ? batch : [...batch, toEvent({ userId: `late-${round}`, action: 'click', at: round, siteId: null, path: null })]);
    }
    const [ids] = await db.query(`SELECT count(*)::int AS count, min(uid) AS min, max(uid) AS max FROM analytics_users`);
    expect(ids).toEqual({ count: 60, min: 0, max: 59 });
  });
});

describe('the upgrade to partitioned events (migration 1763700005000)', () => {
  it('keeps every event, makes their ids duplicates, and leaves the rollups exact for old and new events', async () => {
    // The schema as it was: migrations up to the analytics trigger, events written by plain
    // INSERTs (the trigger kept the rollups), then the upgrade.
    await dropAllTables((sql) => db.query(sql));
    const old = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 'tracking-test-upgrade'), migrations: MIGRATIONS.slice(0, 5) });
    await old.initialize();
    const before = fc.sample(eventArb, { numRuns: 300, seed: 21 }).map(toEvent);
    try {
      await old.runMigrations({ transaction: 'all' });
      await old.query(
        `INSERT INTO events (id, user_id, action, occurred_at, received_at, metadata, site_id, path)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::jsonb[], $7::text[], $8::text[])`,
        [
          before.map((e) => e.id), before.map((e) => e.userId), before.map((e) => e.action), before.map((e) => e.occurredAt),
          before.map((e) => e.receivedAt), before.map(() => '{}'), before.map((e) => e.siteId), before.map((e) => e.path),
        ],
      );
      // One written by other means than the service, with a time in microseconds.
      await old.query(`INSERT INTO events (id, user_id, action, occurred_at) VALUES ('00000000-0000-4000-8000-000000000001', 'micro', 'click', '2025-07-29T10:00:00.123456Z')`);
    } finally {
      await old.destroy();
    }
    // The upgrade, and every migration after it.
    expect(await runMigrations(db)).toEqual(MIGRATIONS.slice(5).map((m) => m.name));
    expect(MIGRATIONS[5].name).toBe('DistributableEvents1763700005000');

    const [counts] = await db.query(`SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM event_ids) AS ids,
                                            (SELECT count(*)::int FROM events WHERE user_id IS NULL AND user_key = E'\\x01' || id::text) AS anonymous`);
    expect(counts).toEqual({ events: 301, ids: 301, anonymous: before.filter((e) => e.userId === null).length });
    // Found by id, microseconds and all, and counted like the others.
    expect((await events.findById('00000000-0000-4000-8000-000000000001'))?.userId).toBe('micro');
    before.push({ ...toEvent({ userId: 'micro', action: 'click', at: 0, siteId: null, path: null }),
                  id: '00000000-0000-4000-8000-000000000001', occurredAt: new Date('2025-07-29T10:00:00.123Z') });
    expect((await events.findByIds(before.slice(0, 20).map((e) => e.id))).map((e) => e.id).sort()).toEqual(before.slice(0, 20).map((e) => e.id).sort());
    // Written again after the upgrade: every one is a duplicate; new events are counted once.
    expect(await events.insertNew(before)).toEqual(new Set());
    const after = fc.sample(eventArb, { numRuns: 100, seed: 22 }).map(toEvent);
    await store(after, [9, 31]);
    await checkAgainstReference([...before, ...after], fc.sample(question, { numRuns: 30, seed: 23 }));
  });
});

describe('weekly partitions and retention', () => {
  beforeEach(async () => {
    await truncateAll(db);
  });

  it('drop whole old weeks: their events and ids go, every figure over whole days stays', async () => {
    // Twelve days from Monday T0: weeks T0 and T0 + 7 days. The first week is dropped.
    const all = fc.sample(eventArb, { numRuns: 250, seed: 31 }).map(toEvent);
    await store(all, [25]);
    const wholeDays = fc.sample(question, { numRuns: 25, seed: 32 }).map((q) => ({
      ...q,
      from: q.from === undefined ? undefined : Math.round(q.from / DAY) * DAY,
      till: q.till === undefined ? undefined : Math.round(q.till / DAY) * DAY,
    }));
    const partitions = new EventPartitions(db);
    const dropped = await partitions.dropEndingBy(new Date(T0 + 7 * DAY));
    expect(dropped.map((p) => p.name)).toEqual(['events_p20250728']);

    const kept = all.filter((e) => e.occurredAt.getTime() >= T0 + 7 * DAY);
    const [counts] = await db.query(`SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM event_ids) AS ids`);
    expect(counts).toEqual({ events: kept.length, ids: kept.length });
    // The rollups the dropped events fed stay: whole-day figures are those of all events.
    await checkAgainstReference(all, wholeDays);
    // A week written again after its partition went is created again on demand.
    const late = toEvent({ userId: 'late', action: 'click', at: DAY, siteId: null, path: null });
    expect(await events.insertNew([late])).toEqual(new Set([late.id]));
  });
});
