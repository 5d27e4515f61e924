import { TrackedEvent } from './tracked-event';

export type SortOrder = 'asc' | 'desc';

export interface EventFilter {
  userId?: string;
  action?: string;
  siteId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  till?: Date;
}

/** Position of the last row served: events sort by (occurredAt, id). */
export interface EventKey {
  occurredAt: Date;
  id: string;
}

export interface EventQuery extends EventFilter {
  order: SortOrder;
  limit: number;
  after?: EventKey;
}

/** The port for storing and reading events (PostgreSQL in production, memory in unit tests). */
export abstract class EventRepository {
  /**
   * Stores the events that are new, atomically and durably, and returns the ids it stored;
   * an id already present is left untouched (the first write wins). Ids are unique in `events`.
   */
  abstract insertNew(events: TrackedEvent[]): Promise<Set<string>>;
  abstract findById(id: string): Promise<TrackedEvent | null>;
  /** The stored events among these ids, in no particular order. */
  abstract findByIds(ids: string[]): Promise<TrackedEvent[]>;
  /** Events matching the filter, ordered by (occurredAt, id) in `order`, after `after`. */
  abstract list(query: EventQuery): Promise<TrackedEvent[]>;
  /**
   * Every event matching the filter, ordered by (occurredAt, id) in `order`, read lazily: the
   * next rows are fetched only as the previous ones are consumed (one snapshot; stopping the
   * iteration early releases what it holds).
   */
  abstract export(query: EventFilter & { order: SortOrder }): AsyncIterable<TrackedEvent>;
}
