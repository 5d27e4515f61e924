import { ValidationFailedError } from '../../shared/errors';
import { InMemoryEventRepository } from '../adapters/persistence/in-memory-event.repository';
import { ListEventsHandler, ListEventsQuery } from './list-events';
import { RecordEventsCommand, RecordEventsHandler } from './record-events';

describe('ListEventsHandler', () => {
  let list: ListEventsHandler;
  beforeEach(async () => {
    const events = new InMemoryEventRepository();
    list = new ListEventsHandler(events);
    const base = Date.parse('2025-10-23T00:00:00Z');
    // 7 events, two sharing a timestamp, so the id tie-break matters.
    const drafts = [0, 1, 2, 2, 3, 4, 5].map((minute, i) => ({
      userId: String(i % 2),
      action: 'a',
      timestamp: new Date(base + minute * 60_000),
    }));
    await new RecordEventsHandler(events).execute(new RecordEventsCommand(drafts, new Date(base + 3_600_000)));
  });

  async function all(order: 'asc' | 'desc', limit: number) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list.execute(new ListEventsQuery({}, order, limit, cursor));
      seen.push(...page.data.map((e) => `${e.occurredAt.toISOString()}|${e.id}`));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    return { seen, pages };
  }

  it.each([1, 2, 3, 7, 100])('walks every row exactly once in both orders with limit %i', async (limit) => {
    const asc = await all('asc', limit);
    const desc = await all('desc', limit);
    expect(asc.seen).toHaveLength(7);
    expect(new Set(asc.seen).size).toBe(7);
    expect(asc.seen).toEqual([...asc.seen].sort());
    expect(desc.seen).toEqual([...asc.seen].reverse());
    expect(asc.pages).toBe(Math.max(1, Math.ceil(7 / limit)));
  });

  it('refuses a forged cursor, a cursor of the other order, and till not after from', async () => {
    await expect(list.execute(new ListEventsQuery({}, 'asc', 10, 'not-a-cursor'))).rejects.toBeInstanceOf(ValidationFailedError);
    const page = await list.execute(new ListEventsQuery({}, 'desc', 2));
    await expect(list.execute(new ListEventsQuery({}, 'asc', 2, page.nextCursor!))).rejects.toMatchObject({
      errors: [{ path: 'cursor', message: expect.stringContaining('order=desc') }],
    });
    const t = new Date('2025-10-23T00:00:00Z');
    await expect(list.execute(new ListEventsQuery({ from: t, till: t }, 'asc', 10))).rejects.toMatchObject({
      errors: [{ path: 'till', message: 'must be after from' }],
    });
  });
});
