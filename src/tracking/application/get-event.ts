import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { EventNotFoundError } from '../domain/errors';
import { EventRepository } from '../domain/event.repository';
import { TrackedEvent } from '../domain/tracked-event';

export class GetEventQuery extends Query<TrackedEvent> {
  constructor(readonly id: string) {
    super();
  }
}

@QueryHandler(GetEventQuery)
export class GetEventHandler implements IQueryHandler<GetEventQuery, TrackedEvent> {
  constructor(private readonly events: EventRepository) {}

  async execute({ id }: GetEventQuery): Promise<TrackedEvent> {
    const event = await this.events.findById(id.toLowerCase());
    if (!event) throw new EventNotFoundError(id);
    return event;
  }
}
