import { DomainError } from '../../shared/errors';

export class EventNotFoundError extends DomainError {
  readonly code = 'event-not-found';
  readonly kind = 'not_found';
  constructor(readonly id: string) {
    super(`No event with id ${id}.`);
  }
}
