import { EventWriteProjection } from '../../../tracking/application/event-write-projections';
import { EventRepository } from '../../../tracking/domain/event.repository';
import { TrackedEvent } from '../../../tracking/domain/tracked-event';
import {
  ActivityMetricsRepository,
  ComputeOptions,
  MetricsQuery,
  StoredUserActivity,
  WindowComputation,
  WindowsQuery,
} from '../../domain/activity-metrics.repository';
import { ActivityWindow } from '../../domain/activity-window';
import { compareBytes, computeUserActivity } from '../../domain/user-activity';
import { needsComputation, WindowCandidate, WindowLedgerEntry, windowStatus } from '../../domain/window-ledger';

/**
 * Unit-test double: computes with the pure reference function over the events it reads through
 * the tracking port. Its ledger is marked by `windowMarking`, the in-memory form of the window
 * marking projection, which whoever composes it registers with the event store's projections.
 * The contract suite runs the same scenarios against PostgreSQL.
 */
export class InMemoryActivityMetricsRepository extends ActivityMetricsRepository {
  private readonly ledger = new Map<number, WindowLedgerEntry>();
  private readonly metrics = new Map<number, StoredUserActivity[]>();
  private readonly locks = new Map<number, Promise<unknown>>();

  /** Marks the windows of newly stored events: a new window becomes pending, a computed one stale. */
  readonly windowMarking: EventWriteProjection = {
    name: 'marked_windows',
    apply: (stored) => {
      for (const event of stored) {
        if (event.userId === null) continue;
        const window = ActivityWindow.containing(event.occurredAt);
        const entry = this.ledger.get(window.start.getTime()) ?? emptyEntry(window);
        entry.version += 1;
        this.ledger.set(window.start.getTime(), entry);
      }
    },
  };

  constructor(private readonly events: EventRepository) {
    super();
  }

  /** The events of users (not anonymous ones) that occurred in [from, till). */
  private async userEvents(from: Date, till: Date): Promise<TrackedEvent[]> {
    const events = await this.events.list({ from, till, order: 'asc', limit: Number.MAX_SAFE_INTEGER });
    return events.filter((e) => e.userId !== null);
  }

  async findWindowsToCompute(now: Date): Promise<WindowCandidate[]> {
    return [...this.ledger.values()]
      .filter((e) => windowStatus(e, now) === 'pending' || windowStatus(e, now) === 'stale')
      .sort((a, b) => a.window.start.getTime() - b.window.start.getTime())
      .map((e) => ({ window: e.window, computations: e.computations }));
  }

  async findWindowsInRange(from: Date, till: Date, now: Date): Promise<WindowCandidate[]> {
    const windows = ActivityWindow.overlapping(from, till);
    if (windows.length === 0) return [];
    const withEvents = new Set(
      (await this.userEvents(windows[0].start, windows[windows.length - 1].end)).map((e) =>
        ActivityWindow.containing(e.occurredAt).start.getTime(),
      ),
    );
    return windows
      .filter((w) => {
        const key = w.start.getTime();
        return w.hasEnded(now) && (this.ledger.has(key) || this.metrics.has(key) || withEvents.has(key));
      })
      .map((window) => ({ window, computations: this.ledger.get(window.start.getTime())?.computations ?? 0 }));
  }

  computeWindow(window: ActivityWindow, options: ComputeOptions): Promise<WindowComputation | null> {
    const key = window.start.getTime();
    const run = (this.locks.get(key) ?? Promise.resolve()).then(() => this.computeLocked(window, options));
    this.locks.set(key, run.catch(() => undefined));
    return run;
  }

  private async computeLocked(window: ActivityWindow, options: ComputeOptions): Promise<WindowComputation | null> {
    const key = window.start.getTime();
    const entry = this.ledger.get(key) ?? null;
    if (!needsComputation(entry, options)) return null;
    const version = entry?.version ?? 0;
    const computedAt = new Date();
    const rows = computeUserActivity(
      (await this.userEvents(window.start, window.end)).map((e) => ({ userId: e.userId!, action: e.action, occurredAt: e.occurredAt })),
    ).map((activity) => ({ ...activity, window, computedAt }));
    const events = rows.reduce((sum, row) => sum + row.eventCount, 0);
    if (rows.length === 0) {
      this.metrics.delete(key);
      if (entry?.version === version) this.ledger.delete(key);
    } else {
      this.metrics.set(key, rows);
      const updated = entry ?? emptyEntry(window);
      Object.assign(updated, {
        version: Math.max(updated.version, version),
        computedVersion: version,
        users: rows.length,
        events,
        computedAt,
        trigger: options.trigger,
        durationMs: 0,
        computations: updated.computations + 1,
      });
      this.ledger.set(key, updated);
    }
    return { window, users: rows.length, events };
  }

  async *exportMetrics(query: Omit<MetricsQuery, 'limit' | 'after'>): AsyncGenerator<StoredUserActivity> {
    yield* await this.listMetrics({ ...query, limit: Number.MAX_SAFE_INTEGER });
  }

  async listMetrics(query: MetricsQuery): Promise<StoredUserActivity[]> {
    return [...this.metrics.values()]
      .flat()
      .filter(
        (row) =>
          (query.userId === undefined || row.userId === query.userId) &&
          (!query.from || row.window.end > query.from) &&
          (!query.till || row.window.start < query.till) &&
          (!query.after ||
            row.window.start > query.after.windowStart ||
            (row.window.start.getTime() === query.after.windowStart.getTime() && compareBytes(row.userId, query.after.userId) > 0)),
      )
      .sort((a, b) => a.window.start.getTime() - b.window.start.getTime() || compareBytes(a.userId, b.userId))
      .slice(0, query.limit)
      .map((row) => ({ ...row, actionCounts: { ...row.actionCounts } }));
  }

  async listWindows(query: WindowsQuery): Promise<WindowLedgerEntry[]> {
    const sign = query.order === 'desc' ? -1 : 1;
    return [...this.ledger.values()]
      .filter(
        (e) =>
          (!query.from || e.window.end > query.from) &&
          (!query.till || e.window.start < query.till) &&
          (!query.afterWindowStart || sign * (e.window.start.getTime() - query.afterWindowStart.getTime()) > 0) &&
          (!query.status || windowStatus(e, query.now) === query.status),
      )
      .sort((a, b) => sign * (a.window.start.getTime() - b.window.start.getTime()))
      .slice(0, query.limit)
      .map((e) => ({ ...e }));
  }
}

function emptyEntry(window: ActivityWindow): WindowLedgerEntry {
  return {
    window,
    version: 0,
    computedVersion: null,
    users: null,
    events: null,
    computedAt: null,
    trigger: null,
    durationMs: null,
    computations: 0,
  };
}
