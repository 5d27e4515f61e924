import { Injectable } from '@nestjs/common';

/**
 * A statement another module needs to run in the same transaction as every event write —
 * the metrics window ledger. (The analytics rollups use a trigger on `events` instead, so that
 * they also count events inserted by other code: see their migration.) It reads the rows just stored from the CTE
 * `inserted (id, user_id, action, occurred_at, site_id, path)`, which holds only the
 * events that were new, so a duplicate never counts twice.
 */
export interface EventWriteProjection {
  name: string;
  sql: string;
}

/**
 * The registry of write projections. Modules register theirs at start; the PostgreSQL event
 * repository runs them all as data-modifying CTEs of its one INSERT statement, so events and
 * everything derived from them commit together or not at all.
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
