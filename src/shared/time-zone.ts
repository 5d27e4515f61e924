/**
 * IANA time zones, with the JavaScript runtime's Intl (ICU's copy of the tz database) as the
 * one source of truth: it validates a zone name and tells where a zone's local days start.
 * PostgreSQL never converts a local time here: the database only sees UTC instants, so the
 * two tz databases can never disagree on an answer.
 */
export const UTC = 'UTC';
export const TIME_ZONE_MESSAGE = 'must be an IANA time zone name such as Europe/Berlin, America/Los_Angeles or UTC';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    if (formatters.size > 1000) formatters.clear(); // bounded: zone names come from clients
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The zone's name as the API writes it back: the spelling Intl lists when it lists it
 * (`europe/london` → `Europe/London`), otherwise the name as given (Intl accepts aliases such
 * as `Asia/Kolkata` it lists under another name); null for a name that is no time zone.
 */
export function timeZoneOf(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return null;
  try {
    formatterOf(name);
  } catch {
    return null;
  }
  if (name.toUpperCase() === 'UTC') return UTC;
  const listed = listedZones().get(name.toLowerCase());
  return listed ?? name;
}

/** Why a `tz` value is not a time zone (a repeated query parameter arrives as an array), or null when it is one. */
export function timeZoneProblem(value: unknown): string | null {
  if (timeZoneOf(value) !== null) return null;
  return typeof value === 'string' ? TIME_ZONE_MESSAGE : `${TIME_ZONE_MESSAGE}, given once`;
}

let listed: Map<string, string> | undefined;
function listedZones(): Map<string, string> {
  listed ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return listed;
}

/** The local wall-clock time at `instant` in `zone`, as milliseconds of a UTC date with that reading. */
export function wallClock(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const whole = Date.UTC(2000, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const date = new Date(whole);
  date.setUTCFullYear(parts.year);
  return date.getTime() + (((instant % 1000) + 1000) % 1000);
}

/**
 * The first instant of the local calendar day `day` (a Date at UTC midnight naming the date)
 * in `zone`: its local midnight, or — where a transition skips midnight — the first instant
 * after the gap. Where midnight happens twice (a transition back at midnight), the first.
 */
export function startOfLocalDay(zone: string, day: Date): Date {
  const wall = day.getTime();
  if (zone === UTC) return new Date(wall);
  // The offset at the day's start is the offset before or after any transition near it:
  // offsets lie within -12 h … +14 h and zones change them far less often than daily.
  const offsets = new Set([-14, 0, 12].map((h) => wallClock(zone, wall + h * HOUR_MS) - (wall + h * HOUR_MS)));
  let first: number | null = null;
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (wallClock(zone, candidate) === wall && (first === null || candidate < first)) first = candidate;
  }
  if (first !== null) return new Date(first);
  // Midnight does not exist (skipped by a transition): the first instant whose wall clock
  // reads the day or later, by bisection over the 26 hours it can lie in.
  let lo = wall - 14 * HOUR_MS - 1; // reads before the day
  let hi = wall + 12 * HOUR_MS; // reads the day or later
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(zone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The local calendar date (as a Date at UTC midnight) of `instant` in `zone`. */
export function localDayOf(zone: string, instant: Date): Date {
  const wall = zone === UTC ? instant.getTime() : wallClock(zone, instant.getTime());
  return new Date(Math.floor(wall / DAY_MS) * DAY_MS);
}
