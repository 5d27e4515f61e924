import { EventWriteProjections } from '../../application/event-write-projections';
import { EventFilter, EventQuery, EventRepository, SortOrder } from '../../domain/event.repository';
import { TrackedEvent } from '../../domain/tracked-event';

/** Unit-test double of the event store; the contract suite keeps it honest against PostgreSQL. */
export class InMemoryEventRepository extends EventRepository {
  private readonly events = new Map<string, TrackedEvent>();

  constructor(private readonly projections: EventWriteProjections = new EventWriteProjections()) {
    super();
  }

  async insertNew(events: TrackedEvent[]): Promise<Set<string>> {
    const created = new Set<string>();
    for (const event of events) {
      const id = event.id.toLowerCase();
      if (this.events.has(id)) continue;
      this.events.set(id, structuredClone({ ...event, id }));
      created.add(id);
    }
    const stored = [...created].map((id) => structuredClone(this.events.get(id)!));
    for (const projection of this.projections.all()) {
      if (!projection.apply) throw new Error(`write projection ${projection.name} has no in-memory form`);
      projection.apply(stored);
    }
    return created;
  }

  async findById(id: string): Promise<TrackedEvent | null> {
    const event = this.events.get(id.toLowerCase());
    return event ? structuredClone(event) : null;
  }

  async findByIds(ids: string[]): Promise<TrackedEvent[]> {
    return ids.flatMap((id) => {
      const event = this.events.get(id.toLowerCase());
      return event ? [structuredClone(event)] : [];
    });
  }

  async list(query: EventQuery): Promise<TrackedEvent[]> {
    const sign = query.order === 'asc' ? 1 : -1;
    const compare = (a: { occurredAt: Date; id: string }, b: { occurredAt: Date; id: string }) =>
      a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return [...this.events.values()]
      .filter(
        (e) =>
          (query.userId === undefined || e.userId === query.userId) &&
          (query.action === undefined || e.action === query.action) &&
          (query.siteId === undefined || e.siteId === query.siteId) &&
          (!query.from || e.occurredAt >= query.from) &&
          (!query.till || e.occurredAt < query.till) &&
          (!query.after || sign * compare(e, query.after) > 0),
      )
      .sort((a, b) => sign * compare(a, b))
      .slice(0, query.limit)
      .map((e) => structuredClone(e));
  }

  async *export(query: EventFilter & { order: SortOrder }): AsyncGenerator<TrackedEvent> {
    yield* await this.list({ ...query, limit: Number.MAX_SAFE_INTEGER });
  }
}
