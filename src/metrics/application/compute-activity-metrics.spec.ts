import { ValidationFailedError } from '../../shared/errors';
import { InMemoryEventRepository } from '../../tracking/adapters/persistence/in-memory-event.repository';
import { EventWriteProjections } from '../../tracking/application/event-write-projections';
import { RecordEventsCommand, RecordEventsHandler } from '../../tracking/application/record-events';
import { EventDraft } from '../../tracking/domain/tracked-event';
import { InMemoryActivityMetricsRepository } from '../adapters/persistence/in-memory-activity-metrics.repository';
import { ComputeActivityMetricsCommand, ComputeActivityMetricsHandler } from './compute-activity-metrics';
import { ListWindowsHandler, ListWindowsQuery } from './list-windows';

const at = (iso: string) => new Date(iso);

describe('ComputeActivityMetricsHandler', () => {
  let record: (drafts: EventDraft[], receivedAt: Date) => Promise<unknown>;
  let compute: ComputeActivityMetricsHandler;
  let metrics: InMemoryActivityMetricsRepository;
  let windows: ListWindowsHandler;
  beforeEach(() => {
    const projections = new EventWriteProjections();
    const events = new InMemoryEventRepository(projections);
    metrics = new InMemoryActivityMetricsRepository(events);
    projections.register(metrics.windowMarking);
    const recorder = new RecordEventsHandler(events);
    record = (drafts, receivedAt) => recorder.execute(new RecordEventsCommand(drafts, receivedAt));
    compute = new ComputeActivityMetricsHandler(metrics);
    windows = new ListWindowsHandler(metrics);
  });
  const statuses = async (now: Date) =>
    (await windows.execute(new ListWindowsQuery({}, 100, undefined, now))).data.map((w) => `${w.window.start.toISOString().slice(11, 13)}:${w.status}`);

  it('computes ended pending windows only, once; a repeat run has nothing to do', async () => {
    await record(
      [
        { userId: '1', action: 'a', timestamp: at('2025-10-23T09:00:00Z') },
        { userId: '2', action: 'a', timestamp: at('2025-10-23T13:00:00Z') },
        { userId: null, action: 'anon', timestamp: at('2025-10-23T01:00:00Z') },
      ],
      at('2025-10-23T13:00:00Z'),
    );
    const now = at('2025-10-23T14:00:00Z');
    expect(await statuses(now)).toEqual(['08:pending', '12:open']);
    const first = await compute.execute(new ComputeActivityMetricsCommand('http', undefined, now));
    expect(first.windows.map((w) => [w.window.start.toISOString(), w.users, w.events])).toEqual([['2025-10-23T08:00:00.000Z', 1, 1]]);
    expect(await statuses(now)).toEqual(['08:computed', '12:open']);
    expect((await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, now))).windows).toEqual([]);
  });

  it('makes a window stale with a late event and fixes it on the next run', async () => {
    await record([{ userId: '1', action: 'a', timestamp: at('2025-10-23T09:00:00Z') }], at('2025-10-23T09:00:00Z'));
    const now = at('2025-10-23T12:30:00Z');
    await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, now));
    await record([{ userId: '1', action: 'b', timestamp: at('2025-10-23T09:10:00Z') }], now);
    expect(await statuses(now)).toEqual(['08:stale']);
    const again = await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, now));
    expect(again.windows).toHaveLength(1);
    expect(again.windows[0].events).toBe(2);
    expect(await statuses(now)).toEqual(['08:computed']);
  });

  it('backfills every ended window in a range whatever its state, and refuses bad ranges', async () => {
    await record(
      [
        { userId: '1', action: 'a', timestamp: at('2025-10-22T01:00:00Z') },
        { userId: '1', action: 'a', timestamp: at('2025-10-22T05:00:00Z') },
        { userId: '1', action: 'a', timestamp: at('2025-10-23T01:00:00Z') },
      ],
      at('2025-10-23T09:00:00Z'),
    );
    const now = at('2025-10-23T09:00:00Z');
    await compute.execute(new ComputeActivityMetricsCommand('cron', undefined, now));
    const backfill = await compute.execute(
      new ComputeActivityMetricsCommand('http', { from: at('2025-10-22T02:00:00Z'), till: at('2025-10-24T00:00:00Z') }, at('2025-10-23T10:00:00Z')),
    );
    // 2025-10-22T00:00 overlaps the range's start; 2025-10-23T08:00 has not ended; the others have no events.
    expect(backfill.windows.map((w) => w.window.start.toISOString())).toEqual([
      '2025-10-22T00:00:00.000Z',
      '2025-10-22T04:00:00.000Z',
      '2025-10-23T00:00:00.000Z',
    ]);
    await expect(
      compute.execute(new ComputeActivityMetricsCommand('http', { from: at('2025-10-23T00:00:00Z'), till: at('2025-10-23T00:00:00Z') })),
    ).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(
      compute.execute(new ComputeActivityMetricsCommand('http', { from: at('2024-01-01T00:00:00Z'), till: at('2025-01-02T00:00:01Z') })),
    ).rejects.toMatchObject({ errors: [{ path: 'till', message: expect.stringContaining('366 days') }] });
  });

  it('computes each window once when runs race', async () => {
    const drafts = Array.from({ length: 30 }, (_, i) => ({ userId: String(i % 4), action: 'a', timestamp: new Date(Date.parse('2025-10-22T00:00:00Z') + i * 3_600_000) }));
    await record(drafts, at('2025-10-24T00:00:00Z'));
    const now = at('2025-10-24T00:00:00Z');
    const runs = await Promise.all(Array.from({ length: 5 }, () => compute.execute(new ComputeActivityMetricsCommand('http', undefined, now))));
    const computed = runs.flatMap((r) => r.windows.map((w) => w.window.start.toISOString()));
    expect(computed.length).toBe(new Set(computed).size);
    const ledger = (await windows.execute(new ListWindowsQuery({}, 100, undefined, now))).data;
    expect(ledger.every((w) => w.computations === 1 && w.status === 'computed')).toBe(true);
    expect(computed.length).toBe(ledger.length);
  });
});
