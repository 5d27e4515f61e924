import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { InMemoryEventRepository } from '../../src/tracking/adapters/persistence/in-memory-event.repository';
import { EventOrmEntity } from '../../src/tracking/adapters/persistence/event.orm-entity';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { EventPartitions, partitionName, weekStart } from '../../src/tracking/adapters/persistence/event-partitions';
import { EventRepository } from '../../src/tracking/domain/event.repository';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { uuidv7 } from '../../src/shared/uuid';
import { isDatabaseUnavailable } from '../../src/shared/database/database-errors';
import { openTestDataSource, } from '../support/database';
import { truncateAll } from '../support/test-app';

/**
 * One suite, every adapter: the in-memory fake used by handler unit tests must behave
 * exactly like PostgreSQL, or those unit tests prove nothing.
 */
let dataSource: DataSource;
beforeAll(async () => {
  dataSource = await openTestDataSource([EventOrmEntity]);
});
afterAll(async () => {
  await dataSource.destroy();
});

const adapters: Array<[string, () => Promise<EventRepository>]> = [
  ['in-memory', async () => new InMemoryEventRepository()],
  [
    'PostgreSQL',
    async () => {
      await truncateAll(dataSource);
      return new TypeOrmEventRepository(dataSource.getRepository(EventOrmEntity));
    },
  ],
];

const T0 = Date.parse('2025-10-23T12:00:00.000Z');

function event(overrides: Partial<TrackedEvent> = {}): TrackedEvent {
  return {
    id: uuidv7(),
    userId: '321',
    action: 'page_view',
    occurredAt: new Date(T0),
    receivedAt: new Date(T0 + 412),
    metadata: {},
    siteId: null,
    path: null,
    ...overrides,
  };
}

describe.each(adapters)('EventRepository contract: %s', (_name, make) => {
  let repo: EventRepository;
  beforeEach(async () => {
    repo = await make();
  });

  it('stores new events, reports which, and round-trips every field exactly', async () => {
    const tricky = event({
      userId: 'NULL',
      action: 'say "hi", {then} \\ leave',
      occurredAt: new Date(T0 + 123),
      metadata: { page: '/hello/world', nested: { list: [1, 'two', null, true] }, emoji: '🎉', quote: '"{,}"' },
      siteId: 'site-abc-123',
      path: '/pricing?x=1',
    });
    const anonymous = event({ userId: null });
    const created = await repo.insertNew([tricky, anonymous]);
    expect([...created].sort()).toEqual([tricky.id, anonymous.id].sort());
    expect(await repo.findById(tricky.id)).toEqual(tricky);
    expect(await repo.findById(anonymous.id)).toEqual(anonymous);
  });

  it('leaves a known id untouched: the first write wins', async () => {
    const first = event({ action: 'first' });
    await repo.insertNew([first]);
    const created = await repo.insertNew([{ ...first, action: 'second', userId: 'other' }, event({ id: uuidv7() })]);
    expect(created.has(first.id)).toBe(false);
    expect(created.size).toBe(1);
    expect(await repo.findById(first.id)).toEqual(first);
  });

  it('stores a concurrently inserted id exactly once', async () => {
    const same = event();
    const results = await Promise.all([repo.insertNew([same]), repo.insertNew([same]), repo.insertNew([same])]);
    expect(results.filter((ids) => ids.has(same.id))).toHaveLength(1);
  });

  it('answers null for an unknown id', async () => {
    expect(await repo.findById(uuidv7())).toBeNull();
  });

  it('filters by user, action, site and a half-open time range', async () => {
    const at = (minutes: number) => new Date(T0 + minutes * 60_000);
    const rows = [
      event({ userId: 'a', action: 'x', siteId: 's1', occurredAt: at(0) }),
      event({ userId: 'a', action: 'y', siteId: 's1', occurredAt: at(10) }),
      event({ userId: 'b', action: 'x', siteId: 's2', occurredAt: at(20) }),
      event({ userId: null, action: 'x', siteId: 's1', occurredAt: at(30) }),
    ];
    await repo.insertNew(rows);
    const ids = async (q: Parameters<EventRepository['list']>[0]) => (await repo.list(q)).map((e) => e.id);
    expect(await ids({ order: 'asc', limit: 10, userId: 'a' })).toEqual([rows[0].id, rows[1].id]);
    expect(await ids({ order: 'asc', limit: 10, action: 'x' })).toEqual([rows[0].id, rows[2].id, rows[3].id]);
    expect(await ids({ order: 'asc', limit: 10, siteId: 's2' })).toEqual([rows[2].id]);
    expect(await ids({ order: 'asc', limit: 10, from: at(10), till: at(30) })).toEqual([rows[1].id, rows[2].id]);
    expect(await ids({ order: 'desc', limit: 2 })).toEqual([rows[3].id, rows[2].id]);
    expect(await ids({ order: 'asc', limit: 10, userId: 'a', action: 'x', siteId: 's1' })).toEqual([rows[0].id]);
  });

  it("lists a user's events only, even for a user id that spells an anonymous event's internal key", async () => {
    const anonymous = event({ userId: null });
    const lookalike = event({ userId: `\u0001${anonymous.id}` });
    await repo.insertNew([anonymous, lookalike]);
    expect((await repo.list({ userId: lookalike.userId!, order: 'asc', limit: 10 })).map((e) => e.id)).toEqual([lookalike.id]);
  });

  it('orders by (time, id) and continues strictly after a key, in both directions', async () => {
    const same = new Date(T0);
    const ids = ['00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-00000000000b', 'ffffffff-0000-7000-8000-000000000000'];
    const rows = [
      event({ id: ids[2], occurredAt: same }),
      event({ id: ids[0], occurredAt: same }),
      event({ id: ids[1], occurredAt: same }),
      event({ occurredAt: new Date(T0 - 1) }),
    ];
    await repo.insertNew(rows);
    const asc = (await repo.list({ order: 'asc', limit: 10 })).map((e) => e.id);
    expect(asc).toEqual([rows[3].id, ...ids]);
    const afterFirstTie = await repo.list({ order: 'asc', limit: 10, after: { occurredAt: same, id: ids[0] } });
    expect(afterFirstTie.map((e) => e.id)).toEqual([ids[1], ids[2]]);
    const beforeLastTie = await repo.list({ order: 'desc', limit: 10, after: { occurredAt: same, id: ids[2] } });
    expect(beforeLastTie.map((e) => e.id)).toEqual([ids[1], ids[0], rows[3].id]);
  });
  it('exports every event the list has, in its order and with every field, whatever the size, lazily', async () => {
    const at = (seconds: number) => new Date(T0 + seconds * 1000);
    // More than one fetch of the cursor (500 rows), ties on time included.
    const rows = Array.from({ length: 1203 }, (_, i) =>
      event({ userId: `u${i % 7}`, action: i % 3 ? 'x' : 'y', siteId: i % 2 ? 's1' : null, occurredAt: at(Math.floor(i / 2)), metadata: { i } }),
    );
    await repo.insertNew(rows);
    const all = async <T>(iterable: AsyncIterable<T>) => {
      const out: T[] = [];
      for await (const row of iterable) out.push(row);
      return out;
    };
    for (const filter of [{}, { userId: 'u3' }, { action: 'y', siteId: 's1' }, { from: at(100), till: at(400) }]) {
      for (const order of ['asc', 'desc'] as const) {
        expect(await all(repo.export({ ...filter, order }))).toEqual(await repo.list({ ...filter, order, limit: 10_000 }));
      }
    }
    // Stopping early (a client gone) releases what the export holds: the store keeps answering.
    const [first] = await repo.list({ order: 'asc', limit: 1 });
    let taken = 0;
    for await (const row of repo.export({ order: 'asc' })) {
      expect(row).toEqual(first);
      if (++taken === 1) break;
    }
    expect(await all(repo.export({ order: 'asc', userId: 'u1' }))).toHaveLength(await repo.list({ order: 'asc', userId: 'u1', limit: 10_000 }).then((r) => r.length));
  });
});

describe('PostgreSQL event store: partitions change under a running process', () => {
  it('writes again into a week whose partition another process dropped after this one wrote there', async () => {
    await truncateAll(dataSource);
    const repo = new TypeOrmEventRepository(dataSource.getRepository(EventOrmEntity));
    // Several writes: each pool connection prepares the insert statement and then reuses its plan
    // (PostgreSQL switches to a cached generic plan after five executions).
    for (let i = 0; i < 8; i++) await repo.insertNew([event({ userId: `u${i}` })]);
    // Another process (its own partition bookkeeping) drops that week, as retention does.
    const other = new EventPartitions(dataSource);
    const dropped = await other.dropEndingBy(new Date(T0 + 7 * 86_400_000));
    expect(dropped.map((p) => p.name)).toContain(partitionName(weekStart(new Date(T0))));
    // This process still believes the week has a partition, and its prepared plans name it.
    const again = event({ userId: 'after-drop' });
    expect(await repo.insertNew([again])).toEqual(new Set([again.id]));
    expect(await repo.findById(again.id)).toEqual(again);
    expect((await repo.list({ order: 'asc', limit: 100 })).map((e) => e.userId)).toEqual(['after-drop']);
  });

  it('refuses a write after its data source closed (shutdown) with an error that means "unavailable" (503), not a bug (500)', async () => {
    const closing = await openTestDataSource([EventOrmEntity]);
    const repo = new TypeOrmEventRepository(closing.getRepository(EventOrmEntity));
    await repo.insertNew([event({ userId: 'before-close' })]);
    await closing.destroy();
    const error = await repo.insertNew([event({ userId: 'after-close' })]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    expect([String(error), isDatabaseUnavailable(error)]).toEqual([String(error), true]);
    // While the data source closes, the write meets node-postgres' pool already ended.
    const ended = new Pool({ connectionString: process.env.DATABASE_URL });
    await ended.end();
    const poolError = await ended.query('SELECT 1').then(() => null, (e: unknown) => e);
    expect([String(poolError), isDatabaseUnavailable(poolError)]).toEqual([String(poolError), true]);
  });
});
