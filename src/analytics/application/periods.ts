import { ValidationFailedError } from '../../shared/errors';
import { isoDay } from '../../shared/time';
import { UTC, startOfLocalDay } from '../../shared/time-zone';

export type Interval = 'day' | 'week' | 'month';
export const INTERVALS: readonly Interval[] = ['day', 'week', 'month'];
export const MAX_PERIODS = 1000;
export const MAX_ROLLING_DAYS = 90;
const DAY_MS = 86_400_000;

/** One row of the answer: labelled by its first (local) day, counting users active in the instants [from, till). */
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
 * `from`. Days are the local calendar days of `zone` (dates are given and labelled as Dates at
 * UTC midnight naming the day); a period runs from the first instant of its first local day
 * to the first instant of the day after it, so a day across a DST change lasts 23 or 25 hours.
 */
export function periodsOf(interval: Interval, from: Date, to: Date, rolling?: number, zone: string = UTC): Period[] {
  if (to < from) throw new ValidationFailedError([{ path: 'to', message: 'must not be before from' }]);
  if (rolling !== undefined && interval !== 'day') {
    throw new ValidationFailedError([{ path: 'rolling', message: 'is only allowed with interval=day' }]);
  }
  const end = new Date(to.getTime() + DAY_MS);
  const days: Array<{ label: string; from: Date; till: Date }> = [];
  for (let start = periodStart(interval, from); start < end; start = nextStart(interval, start)) {
    if (days.length === MAX_PERIODS) {
      throw new ValidationFailedError([{ path: 'to', message: `the range holds more than ${MAX_PERIODS} periods` }]);
    }
    const next = nextStart(interval, start);
    days.push(
      rolling === undefined
        ? { label: dayOf(start.getTime()), from: start < from ? from : start, till: next > end ? end : next }
        : { label: dayOf(start.getTime()), from: new Date(next.getTime() - rolling * DAY_MS), till: next },
    );
  }
  if (zone === UTC) return days;
  // Each local midnight once, however many periods share it.
  const starts = new Map<number, Date>();
  const startOf = (day: Date) => {
    let start = starts.get(day.getTime());
    if (!start) starts.set(day.getTime(), (start = startOfLocalDay(zone, day)));
    return start;
  };
  return days.map((p) => ({ label: p.label, from: startOf(p.from), till: startOf(p.till) }));
}

export const MAX_COHORTS = 400;

/**
 * The whole periods (local days, ISO weeks, calendar months of `zone`) that start in the local
 * days [from, till): `from` must itself start a period (a Monday for weeks, a 1st for months;
 * a 400 naming `from` otherwise — aligning it silently would answer another question than the
 * one asked). `till` only says which periods start before it: the last one runs whole, to its
 * own end, even past `till`. At most MAX_COHORTS periods (a 400 naming `till`).
 */
export function cohortPeriodsOf(interval: Interval, from: Date, till: Date, zone: string = UTC): Period[] {
  if (periodStart(interval, from).getTime() !== from.getTime()) {
    const what = interval === 'week' ? 'a Monday (ISO weeks start on Monday)' : 'the 1st of a month';
    throw new ValidationFailedError([{ path: 'from', message: `must be the first day of a period: ${what} for period=${interval}` }]);
  }
  if (till <= from) throw new ValidationFailedError([{ path: 'till', message: 'must be after from' }]);
  const starts: Date[] = [];
  for (let start = from; start < till; start = nextStart(interval, start)) {
    if (starts.length === MAX_COHORTS) {
      throw new ValidationFailedError([{ path: 'till', message: `the range holds more than ${MAX_COHORTS} ${interval} periods` }]);
    }
    starts.push(start);
  }
  const instants = [...starts, nextStart(interval, starts[starts.length - 1])].map((day) => (zone === UTC ? day : startOfLocalDay(zone, day)));
  return starts.map((start, k) => ({ label: dayOf(start.getTime()), from: instants[k], till: instants[k + 1] }));
}
