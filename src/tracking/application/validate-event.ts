import { Optional } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ValidationFailedError } from '../../shared/errors';
import { createEvent, EventDraft } from '../domain/tracked-event';
import { EventRetention } from './event-retention';

/**
 * Checks an event against every rule that recording it would apply, and stores nothing:
 * lets a client test its payloads, and gives benchmarks the service's ceiling without I/O.
 */
export class ValidateEventQuery extends Query<void> {
  constructor(
    readonly draft: EventDraft,
    readonly receivedAt: Date = new Date(),
  ) {
    super();
  }
}

@QueryHandler(ValidateEventQuery)
export class ValidateEventHandler implements IQueryHandler<ValidateEventQuery, void> {
  constructor(@Optional() private readonly retention?: EventRetention) {}

  async execute({ draft, receivedAt }: ValidateEventQuery): Promise<void> {
    const creation = createEvent(draft, receivedAt, () => '', this.retention?.earliestAt(receivedAt));
    if (!creation.ok) throw new ValidationFailedError(creation.errors);
  }
}
