import { ValidationFailedError } from './errors';

/** A half-open range `[from, till)` must not be empty: `till` after `from`, when both are given. */
export function assertTimeRange(from?: Date, till?: Date): void {
  if (from && till && till <= from) throw new ValidationFailedError([{ path: 'till', message: 'must be after from' }]);
}
