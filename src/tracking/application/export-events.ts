import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { assertTimeRange } from '../../shared/time-range';
import { EventFilter, EventRepository, SortOrder } from '../domain/event.repository';
import { TrackedEvent } from '../domain/tracked-event';

/** Every event matching the filter, in (timestamp, id) order, read lazily (no page size, no cap). */
export class ExportEventsQuery extends Query<AsyncIterable<TrackedEvent>> {
  constructor(
    readonly filter: EventFilter,
    readonly order: SortOrder,
  ) {
    super();
  }
}

@QueryHandler(ExportEventsQuery)
export class ExportEventsHandler implements IQueryHandler<ExportEventsQuery, AsyncIterable<TrackedEvent>> {
  constructor(private readonly events: EventRepository) {}

  async execute({ filter, order }: ExportEventsQuery): Promise<AsyncIterable<TrackedEvent>> {
    assertTimeRange(filter.from, filter.till);
    return this.events.export({ ...filter, order });
  }
}
