/**
 * How long events are kept (EVENTS_RETENTION_DAYS). Whole weekly partitions older than that are
 * dropped, so an event older than the period is refused at ingestion: it would be dropped at
 * once, and its id — whose ledger row went with its partition — could not stay a duplicate.
 */
export class EventRetention {
  constructor(readonly days: number | null) {}

  /** The earliest time an event may have happened to be accepted at `now`; undefined: no limit. */
  earliestAt(now: Date): Date | undefined {
    return this.days === null ? undefined : new Date(now.getTime() - this.days * 86_400_000);
  }
}
