import { TrackedEvent } from '../domain/tracked-event';

/** Someone watching newly recorded events (one open stream of GET /api/events/live). */
export interface LiveSubscriber {
  /** Events just committed, by this process or any other on the same database. */
  deliver(events: readonly TrackedEvent[]): void;
  /**
   * The feed can no longer promise every event (its connection dropped, it fell behind, or the
   * service is stopping): the subscriber is already removed and should end its stream, so that
   * its client reconnects and fills the gap from GET /api/events.
   */
  interrupt(): void;
}

/**
 * The events every replica records, as they commit: fed from the database, never from this
 * process's memory, so a client of any replica sees the events written through all of them.
 */
export abstract class LiveEventFeed {
  /**
   * Resolves, with the function that ends the subscription, once every event committed from
   * then on will be delivered; rejects (DatabaseUnavailableError) when the feed cannot listen.
   */
  abstract subscribe(subscriber: LiveSubscriber): Promise<() => void>;
  /** Subscribers of this process. */
  abstract get subscribers(): number;
}

/** Published when a live stream was closed because its client did not read fast enough. */
export class LiveClientDropped {}
