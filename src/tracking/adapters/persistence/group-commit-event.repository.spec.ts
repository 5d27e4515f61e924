import { DatabaseUnavailableError } from '../../../shared/errors';
import { uuidv7 } from '../../../shared/uuid';
import { TrackedEvent } from '../../domain/tracked-event';
import { GroupCommitEventRepository, WriteQueueFullError } from './group-commit-event.repository';
import { InMemoryEventRepository } from './in-memory-event.repository';

/** An in-memory store that records each write and can be made slow, broken or unreachable. */
class InstrumentedStore extends InMemoryEventRepository {
  writes: number[] = [];
  gate: Promise<void> = Promise.resolve();
  failWhen: (events: TrackedEvent[]) => unknown = () => undefined;

  override async insertNew(events: TrackedEvent[]): Promise<Set<string>> {
    this.writes.push(events.length);
    await this.gate;
    const error = this.failWhen(events);
    if (error) throw error;
    return super.insertNew(events);
  }
}

const event = (action = 'a', id = uuidv7()): TrackedEvent => ({
  id,
  userId: '1',
  action,
  occurredAt: new Date('2025-10-23T12:00:00Z'),
  receivedAt: new Date('2025-10-23T12:00:00Z'),
  metadata: {},
  siteId: null,
  path: null,
});

describe('GroupCommitEventRepository', () => {
  let store: InstrumentedStore;
  let release: () => void;
  const hold = () => {
    store.gate = new Promise((resolve) => (release = resolve));
  };
  beforeEach(() => {
    store = new InstrumentedStore();
  });

  it('writes at once when idle, and merges what arrives meanwhile into the next statement', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 100, maxQueuedEvents: 1000, maxInFlight: 1, unavailableBackoffMs: 1000 });
    hold();
    const first = repo.insertNew([event()]);
    const others = Array.from({ length: 20 }, () => repo.insertNew([event(), event()]));
    expect(store.writes).toEqual([1]);
    expect(repo.depth).toBe(41);
    release();
    const results = await Promise.all([first, ...others]);
    expect(store.writes).toEqual([1, 40]);
    expect(results.map((ids) => ids.size)).toEqual([1, ...Array(20).fill(2)]);
    expect(repo.depth).toBe(0);
  });

  it('splits the queue into batches of at most maxBatchEvents', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 10, maxQueuedEvents: 1000, maxInFlight: 1, unavailableBackoffMs: 1000 });
    hold();
    const writes = Array.from({ length: 9 }, () => repo.insertNew([event(), event(), event()]));
    release();
    await Promise.all(writes);
    expect(store.writes).toEqual([3, 9, 9, 6]);
  });

  it('reports an id sent by two requests of one batch as created once, duplicate for the other', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 100, maxQueuedEvents: 1000, maxInFlight: 1, unavailableBackoffMs: 1000 });
    hold();
    const blocker = repo.insertNew([event()]);
    const shared = event('shared');
    const a = repo.insertNew([shared]);
    const b = repo.insertNew([{ ...shared, action: 'other' }]);
    release();
    await blocker;
    expect([...(await a)]).toEqual([shared.id]);
    expect((await b).size).toBe(0);
    expect((await store.findById(shared.id))!.action).toBe('shared');
  });

  it('fails only the request that carries a bad row; its neighbours are stored', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 100, maxQueuedEvents: 1000, maxInFlight: 1, unavailableBackoffMs: 1000 });
    store.failWhen = (events) => (events.some((e) => e.action === 'bad') ? new Error('value too long') : undefined);
    hold();
    const blocker = repo.insertNew([event()]);
    const good1 = repo.insertNew([event('good')]);
    const bad = repo.insertNew([event('bad'), event('good')]);
    const good2 = repo.insertNew([event('good')]);
    release();
    await blocker;
    await expect(bad).rejects.toThrow('value too long');
    expect((await good1).size).toBe(1);
    expect((await good2).size).toBe(1);
    expect((await store.list({ order: 'asc', limit: 10 })).map((e) => e.action).sort()).toEqual(['a', 'good', 'good']);
  });

  it('refuses writes at once while the database is unavailable, then recovers by itself', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 100, maxQueuedEvents: 1000, maxInFlight: 1, unavailableBackoffMs: 50 });
    store.failWhen = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(repo.insertNew([event()])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const writesBefore = store.writes.length;
    await expect(repo.insertNew([event()])).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(store.writes.length).toBe(writesBefore); // refused without touching the database
    store.failWhen = () => undefined;
    await new Promise((r) => setTimeout(r, 60));
    expect((await repo.insertNew([event()])).size).toBe(1);
  });

  it('bounds the queue: beyond maxQueuedEvents a write is refused at once', async () => {
    const repo = new GroupCommitEventRepository(store, { maxBatchEvents: 100, maxQueuedEvents: 5, maxInFlight: 1, unavailableBackoffMs: 1000 });
    hold();
    const accepted = [repo.insertNew([event(), event()]), repo.insertNew([event(), event(), event()])];
    await expect(repo.insertNew([event()])).rejects.toBeInstanceOf(WriteQueueFullError);
    release();
    await Promise.all(accepted);
    expect((await repo.insertNew([event()])).size).toBe(1);
  });
});
