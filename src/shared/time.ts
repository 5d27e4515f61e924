// Strict ISO-8601 date-time: a zone (Z or ±hh:mm) is required, because a time without one
// is ambiguous; seconds and fractions are optional; fractions beyond milliseconds are cut.
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): Date {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  return date;
}

/**
 * The instants the API accepts anywhere (event times, query ranges, dates and months): from
 * the Unix epoch to the last millisecond of year 9999. Earlier times are almost always a
 * client bug (a zero or a seconds-for-milliseconds mix-up), and a far-future `till` such as
 * `9999-12-31T23:59:59Z` still works as "no upper bound".
 */
export const EARLIEST_INSTANT = new Date(Date.UTC(1970, 0, 1));
export const LATEST_INSTANT = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
export const INSTANT_RANGE_MESSAGE = 'must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';
export const DATE_RANGE_MESSAGE = 'must be between 1970-01-01 and 9999-12-31';

const inRange = (date: Date) => date >= EARLIEST_INSTANT && date <= LATEST_INSTANT;
/** The readers below answer a Date, or the message saying why there is none. */
const dateOf = (read: Date | string) => (read instanceof Date ? read : null);
const problemOf = (read: Date | string) => (read instanceof Date ? null : read);

/** Parses an ISO-8601 date-time with a zone; null when malformed, impossible or out of range. */
export function parseInstant(value: string): Date | null {
  return dateOf(readInstant(value));
}

/** Why `value` is not an accepted instant, worded for a client; null when it is one. */
export function instantProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string holding an ISO-8601 date-time with a time zone';
  return problemOf(readInstant(value));
}

function readInstant(value: string): Date | string {
  const match = INSTANT.exec(value);
  if (!match) return INSTANT_FORMAT_MESSAGE;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = match;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return `names a day that does not exist (${y}-${mo}-${d})`;
  }
  if (second === 60) return 'is a leap second (:60), which UTC timestamps cannot hold; send :59.999 or the next second';
  if (hour > 23 || minute > 59 || second > 59) return `names a time of day that does not exist (${h}:${mi}${s === undefined ? '' : `:${s}`})`;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const offsetHours = Number(oh), offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) return `has an impossible UTC offset (${zone})`;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const date = utc(year, month, day, hour, minute, second, ms);
  const instant = new Date(date.getTime() - offsetMinutes * 60_000);
  return inRange(instant) ? instant : INSTANT_RANGE_MESSAGE;
}

/** Parses a calendar date `YYYY-MM-DD` as UTC midnight; null when malformed, impossible or out of range. */
export function parseDate(value: string): Date | null {
  return dateOf(readDate(value));
}

/** Why `value` is not an accepted calendar date, worded for a client; null when it is one. */
export function dateProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a date in the form YYYY-MM-DD, given once';
  return problemOf(readDate(value));
}

function readDate(value: string): Date | string {
  const match = DATE.exec(value);
  if (!match) return 'must be a date in the form YYYY-MM-DD';
  const year = Number(match[1]), month = Number(match[2]), day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return `names a day that does not exist (${value})`;
  const date = utc(year, month, day);
  return inRange(date) ? date : DATE_RANGE_MESSAGE;
}

/** Why `value` is not an accepted month `YYYY-MM`, worded for a client; null when it is one. */
export function monthProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}$/.test(value)) return 'must be a month in the form YYYY-MM';
  const year = Number(value.slice(0, 4)), month = Number(value.slice(5));
  if (month < 1 || month > 12) return `names a month that does not exist (${value})`;
  return year < 1970 ? 'must be between 1970-01 and 9999-12' : null;
}

/**
 * `YYYY-MM-DD` of a UTC instant, also for the exclusive end of the last accepted day
 * (10000-01-01), which `toISOString` writes as `+010000-01-01` and PostgreSQL refuses.
 */
export function isoDay(date: Date): string {
  const year = date.getUTCFullYear();
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${month}-${day}`;
}

export const INSTANT_FORMAT_MESSAGE = 'must be an ISO-8601 date-time with a time zone (e.g. 2025-10-23T13:07:00Z)';
