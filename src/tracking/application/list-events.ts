import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ValidationFailedError } from '../../shared/errors';
import { assertTimeRange } from '../../shared/time-range';
import { decodeCursor, Page, toPage } from '../../shared/pagination';
import { EventFilter, EventRepository, SortOrder } from '../domain/event.repository';
import { TrackedEvent } from '../domain/tracked-event';

interface EventCursor {
  t: string;
  id: string;
  o: SortOrder;
}

function isEventCursor(value: unknown): value is EventCursor {
  const cursor = value as EventCursor;
  return (
    typeof cursor === 'object' && cursor !== null &&
    typeof cursor.t === 'string' && !Number.isNaN(Date.parse(cursor.t)) &&
    typeof cursor.id === 'string' && /^[0-9a-f-]{36}$/.test(cursor.id) &&
    (cursor.o === 'asc' || cursor.o === 'desc')
  );
}

export class ListEventsQuery extends Query<Page<TrackedEvent>> {
  constructor(
    readonly filter: EventFilter,
    readonly order: SortOrder,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

@QueryHandler(ListEventsQuery)
export class ListEventsHandler implements IQueryHandler<ListEventsQuery, Page<TrackedEvent>> {
  constructor(private readonly events: EventRepository) {}

  async execute({ filter, order, limit, cursor }: ListEventsQuery): Promise<Page<TrackedEvent>> {
    assertTimeRange(filter.from, filter.till);
    const after = cursor ? decodeCursor(cursor, isEventCursor) : undefined;
    if (after && after.o !== order) {
      throw new ValidationFailedError([
        { path: 'cursor', message: `was issued for order=${after.o}; repeat the query with that order` },
      ]);
    }
    const rows = await this.events.list({
      ...filter,
      order,
      limit: limit + 1,
      after: after ? { occurredAt: new Date(after.t), id: after.id } : undefined,
    });
    return toPage(
      rows,
      limit,
      (event) => ({ t: event.occurredAt.toISOString(), id: event.id, o: order }),
      (event) => event,
    );
  }
}
