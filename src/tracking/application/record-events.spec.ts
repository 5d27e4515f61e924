import { InMemoryEventRepository } from '../adapters/persistence/in-memory-event.repository';
import { RecordEventsCommand, RecordEventsHandler } from './record-events';

const ID = '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10';
const now = new Date('2025-10-23T13:07:10Z');

describe('RecordEventsHandler', () => {
  let events: InMemoryEventRepository;
  let handler: RecordEventsHandler;
  beforeEach(() => {
    events = new InMemoryEventRepository();
    handler = new RecordEventsHandler(events);
  });

  it('stores a new event and reports it created', async () => {
    const [outcome] = await handler.execute(new RecordEventsCommand([{ eventId: ID, userId: '321', action: 'login' }], now));
    expect(outcome).toEqual({ status: 'created', id: ID });
    expect(await events.findById(ID)).toMatchObject({ userId: '321', action: 'login', occurredAt: now });
  });

  it('reports a second send of the same event_id as a duplicate and keeps the first write', async () => {
    await handler.execute(new RecordEventsCommand([{ eventId: ID, userId: '321', action: 'first' }], now));
    const [outcome] = await handler.execute(new RecordEventsCommand([{ eventId: ID, userId: '999', action: 'second' }], now));
    expect(outcome).toEqual({ status: 'duplicate', id: ID, contentMatches: false });
    expect(await events.findById(ID)).toMatchObject({ userId: '321', action: 'first' });
    const [same] = await handler.execute(new RecordEventsCommand([{ eventId: ID, userId: '321', action: 'first' }], now));
    expect(same).toEqual({ status: 'duplicate', id: ID, contentMatches: true });
  });

  it('treats a repeated event_id inside one batch as created once, then duplicate', async () => {
    const outcomes = await handler.execute(
      new RecordEventsCommand(
        [
          { eventId: ID, userId: '1', action: 'a' },
          { eventId: ID.toUpperCase(), userId: '2', action: 'b' },
          { userId: '3', action: 'c' },
        ],
        now,
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['created', 'duplicate', 'created']);
    expect(await events.list({ order: 'asc', limit: 10 })).toHaveLength(2);
    expect(await events.findById(ID)).toMatchObject({ userId: '1', action: 'a' });
  });

  it('rejects an event from the future without failing its neighbours', async () => {
    const outcomes = await handler.execute(
      new RecordEventsCommand(
        [
          { userId: '1', action: 'a', timestamp: new Date('2025-10-23T14:00:00Z') },
          { userId: '2', action: 'b' },
        ],
        now,
      ),
    );
    expect(outcomes[0]).toEqual({ status: 'rejected', errors: [{ path: 'timestamp', message: expect.any(String) }] });
    expect(outcomes[1].status).toBe('created');
    expect(await events.list({ order: 'asc', limit: 10 })).toHaveLength(1);
  });
});
