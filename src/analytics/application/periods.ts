import { ValidationFailedError } from '../../shared/errors';
import { isoDay } from '../../shared/time';

export type Interval = 'day' | 'week' | 'month';
export const INTERVALS: readonly Interval[] = ['day', 'week', 'month'];
export const MAX_PERIODS = 1000;
export const MAX_ROLLING_DAYS = 90;
const DAY_MS = 86_400_000;

/** One row of the answer: labelled by its first day, counting users active in [from, till). */
export interface Period {
  label: string;
  from: Date;
  till: Date;
}

const dayOf = (ms: number) => isoDay(new Date(ms));

function periodStart(interval: Interval, day: Date): Date {
  if (interval === 'day') return day;
  if (interval === 'week') {
    const weekday = (day.getUTCDay() + 6) % 7; // Monday = 0 (ISO weeks)
    return new Date(day.getTime() - weekday * DAY_MS);
  }
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
}

function nextStart(interval: Interval, start: Date): Date {
  if (interval === 'day') return new Date(start.getTime() + DAY_MS);
  if (interval === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/**
 * Every period that touches the inclusive day range [from, to], in order. A period is
 * labelled by its first day (a Monday, the 1st) even before `from`, but counts only activity
 * inside the range; with `rolling`, each day instead looks back `rolling` days, even before
 * `from`.
 */
export function periodsOf(interval: Interval, from: Date, to: Date, rolling?: number): Period[] {
  if (to < from) throw new ValidationFailedError([{ path: 'to', message: 'must not be before from' }]);
  if (rolling !== undefined && interval !== 'day') {
    throw new ValidationFailedError([{ path: 'rolling', message: 'is only allowed with interval=day' }]);
  }
  const end = new Date(to.getTime() + DAY_MS);
  const periods: Period[] = [];
  for (let start = periodStart(interval, from); start < end; start = nextStart(interval, start)) {
    if (periods.length === MAX_PERIODS) {
      throw new ValidationFailedError([{ path: 'to', message: `the range holds more than ${MAX_PERIODS} periods` }]);
    }
    const next = nextStart(interval, start);
    periods.push(
      rolling === undefined
        ? { label: dayOf(start.getTime()), from: start < from ? from : start, till: next > end ? end : next }
        : { label: dayOf(start.getTime()), from: new Date(next.getTime() - rolling * DAY_MS), till: next },
    );
  }
  return periods;
}
