import { isDatabaseUnavailable } from '../../../shared/database/database-errors';
import { DatabaseUnavailableError, DomainError } from '../../../shared/errors';
import { EventWriteQueue } from '../../application/event-write-queue';
import { EventFilter, EventQuery, EventRepository, SortOrder } from '../../domain/event.repository';
import { TrackedEvent } from '../../domain/tracked-event';

/** The write queue is full: the database is not keeping up. The client should retry shortly. */
export class WriteQueueFullError extends DomainError {
  readonly code = 'overloaded';
  readonly kind = 'unavailable';
  constructor() {
    super('The service is shedding load; retry shortly.');
  }
}

export interface GroupCommitOptions {
  /** Events written by one statement at most (a single request may exceed it alone). */
  maxBatchEvents: number;
  /** Events waiting for a write at most; beyond, requests are refused at once (503). */
  maxQueuedEvents: number;
  /** Batches being written at the same time (each holds one connection). */
  maxInFlight: number;
  /** After the database was found unavailable, refuse writes at once for this long. */
  unavailableBackoffMs: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatchEvents: 2000,
  maxQueuedEvents: 50_000,
  maxInFlight: 2,
  unavailableBackoffMs: 1000,
};

interface PendingWrite {
  events: TrackedEvent[];
  resolve: (created: Set<string>) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent writes are merged into one statement (and so one transaction and
 * one WAL flush) for up to `maxBatchEvents`. Nothing waits on a timer: while `maxInFlight`
 * batches are being written, new requests queue, and the queue becomes the next batch — so
 * an idle service writes a request at once and a busy one writes hundreds per commit. Every
 * caller is answered only after the batch holding its events committed.
 *
 * Backpressure: the queue is bounded, and while the database is unreachable writes are
 * refused at once instead of piling up; both answer 503 with Retry-After.
 */
export class GroupCommitEventRepository extends EventRepository implements EventWriteQueue {
  private readonly queue: PendingWrite[] = [];
  private queuedEvents = 0;
  private inFlight = 0;
  private unavailableUntil = 0;

  constructor(
    private readonly inner: EventRepository,
    private readonly options: GroupCommitOptions = DEFAULT_GROUP_COMMIT,
  ) {
    super();
  }

  /** Events accepted but not yet committed (queued or being written). */
  get depth(): number {
    return this.queuedEvents;
  }

  insertNew(events: TrackedEvent[]): Promise<Set<string>> {
    if (events.length === 0) return Promise.resolve(new Set());
    if (Date.now() < this.unavailableUntil) return Promise.reject(new DatabaseUnavailableError());
    if (this.queuedEvents > 0 && this.queuedEvents + events.length > this.options.maxQueuedEvents) {
      return Promise.reject(new WriteQueueFullError());
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.queuedEvents += events.length;
      this.drain();
    });
  }

  findById(id: string): Promise<TrackedEvent | null> {
    return this.inner.findById(id);
  }

  findByIds(ids: string[]): Promise<TrackedEvent[]> {
    return this.inner.findByIds(ids);
  }

  list(query: EventQuery): Promise<TrackedEvent[]> {
    return this.inner.list(query);
  }

  export(query: EventFilter & { order: SortOrder }): AsyncIterable<TrackedEvent> {
    return this.inner.export(query);
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch: PendingWrite[] = [];
      let size = 0;
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].events.length <= this.options.maxBatchEvents)) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.events.length;
      }
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.queuedEvents -= size;
        this.drain();
      });
    }
  }

  private async write(batch: PendingWrite[]): Promise<void> {
    // One row per id: the first request in the batch that carries an id owns its creation;
    // later carriers of the same id get "duplicate", as if they had come a moment later.
    const unique = new Map<string, TrackedEvent>();
    for (const write of batch) for (const event of write.events) if (!unique.has(event.id)) unique.set(event.id, event);
    let created: Set<string>;
    try {
      created = await this.inner.insertNew([...unique.values()]);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        this.unavailableUntil = Date.now() + this.options.unavailableBackoffMs;
        for (const write of batch) write.reject(error);
        return;
      }
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // Something in the batch broke the statement: write each request alone, so only the
      // request that carries the bad row fails and its neighbours are stored.
      for (const write of batch) {
        await this.inner.insertNew(write.events).then(write.resolve, write.reject);
      }
      return;
    }
    const claimed = new Set<string>();
    for (const write of batch) {
      const mine = new Set<string>();
      for (const event of write.events) {
        if (created.has(event.id) && !claimed.has(event.id)) {
          claimed.add(event.id);
          mine.add(event.id);
        }
      }
      write.resolve(mine);
    }
  }
}
