import { Injectable } from '@nestjs/common';
import { TrackedEvent } from '../domain/tracked-event';

/**
 * The port through which another module keeps something derived from the events in step with
 * every event write — the metrics window ledger. Every event store applies every registered
 * projection to the events it newly stored, inside the same write, so the events and what is
 * derived from them commit together or not at all; a duplicate never counts twice. (The
 * analytics rollups are one too; until migration 1763700005000 they were a trigger on `events`,
 * which Citus refuses.)
 *
 * A projection comes in the form of the store it is written for, as repositories do. (The
 * live feed registers one too: a NOTIFY of the ids just stored, sent in the same transaction.)
 */
export interface EventWriteProjection {
  /** Unique; the PostgreSQL store also names its CTE with it, so `[a-z_]+`. */
  readonly name: string;
  /**
   * PostgreSQL store: a data-modifying statement run as a CTE of the one INSERT statement,
   * reading the rows just stored from `inserted (id, user_id, action, occurred_at, site_id, path)`.
   */
  readonly sql?: string;
  /**
   * PostgreSQL store: CTEs the projection's own statement reads, run before it in the same
   * statement (name, SQL); names are prefixed with the projection's name by convention.
   */
  readonly before?: ReadonlyArray<readonly [name: string, sql: string]>;
  /**
   * PostgreSQL store, instead of `sql`: a SELECT over `inserted` run for its side effect (a
   * pg_notify). PostgreSQL evaluates a plain SELECT in WITH only as far as the statement reads
   * it, so the store reads it to its end once rows were inserted (and skips it when none were).
   */
  readonly sideEffectSql?: string;
  /** In-memory store: called with the events just stored, before the write returns. */
  apply?(stored: readonly TrackedEvent[]): void;
}

/**
 * The registry of write projections. Modules register theirs at start (in their module file,
 * the one place that knows which adapter implements the port); the event stores apply them all.
 */
@Injectable()
export class EventWriteProjections {
  private readonly projections: EventWriteProjection[] = [];

  register(projection: EventWriteProjection): void {
    if (!/^[a-z_]+$/.test(projection.name)) throw new Error(`invalid projection name ${projection.name}`);
    if (this.projections.some((p) => p.name === projection.name)) return;
    this.projections.push(projection);
  }

  all(): readonly EventWriteProjection[] {
    return this.projections;
  }
}
