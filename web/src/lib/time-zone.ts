/**
 * The dashboard's time zone: which local days its ranges, figures and labels are cut at.
 * Local days are computed by the very functions the service uses (src/shared/time-zone.ts,
 * Intl's copy of the tz database), so the instants the dashboard sends are the ones the API
 * would compute for the same local days. Days travel as "YYYY-MM-DD" strings.
 */
import { localDayOf, startOfLocalDay, timeZoneOf, UTC, wallClock } from '../../../src/shared/time-zone';

export { UTC };

const DAY_MS = 86_400_000;

/** A zone name as the API writes it back (canonical spelling), or null when it is no zone. */
export function validTimeZone(name: string | undefined | null): string | null {
  return timeZoneOf(name);
}

/**
 * The browser's own zone (Intl's resolved zone, by its current name: Chromium reports
 * Asia/Kolkata as Asia/Calcutta), UTC when it has none Intl knows.
 */
export function browserTimeZone(resolved: string | undefined = resolvedZone()): string {
  const zone = validTimeZone(resolved);
  return zone === null ? UTC : currentName(zone);
}

function resolvedZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** A zone by the name the tz database uses today, when ICU lists it by a replaced one (and Intl accepts the new one). */
export function currentName(zone: string): string {
  const renamed = RENAMED[zone];
  return renamed && validTimeZone(renamed) ? renamed : zone;
}

const dayDate = (day: string) => new Date(`${day}T00:00:00Z`);
const dayText = (date: Date) => date.toISOString().slice(0, 10);

/** The local calendar day of an instant in `zone`, "YYYY-MM-DD". */
export function localDay(instant: Date, zone: string): string {
  return dayText(localDayOf(zone, instant));
}

/** The first instant of the local day `day` ("YYYY-MM-DD") in `zone`: its midnight, or the first instant after a DST gap. */
export function dayStart(day: string, zone: string): Date {
  return startOfLocalDay(zone, dayDate(day));
}

/** A calendar day `n` days after (before, when negative) `day`. */
export function addDays(day: string, n: number): string {
  return dayText(new Date(dayDate(day).getTime() + n * DAY_MS));
}

/** Calendar days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayDate(b).getTime() - dayDate(a).getTime()) / DAY_MS);
}

/** True when `instant` is the first instant of its local day in `zone`. */
export function isDayStart(instant: Date, zone: string): boolean {
  return dayStart(localDay(instant, zone), zone).getTime() === instant.getTime();
}

export interface ZoneChoices {
  /** The browser's zone (first) and UTC, then the selected zone when it is listed nowhere else. */
  suggested: string[];
  /** Every other IANA zone Intl lists, by region ("America", "Europe", …), regions and zones sorted. */
  regions: Array<{ region: string; zones: string[] }>;
}

/**
 * Zones that ICU (and so Intl.supportedValuesOf) still lists under a name the tz database has
 * since replaced; the selector offers the current name, which Intl accepts as well.
 */
const RENAMED: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon',
  'Europe/Kiev': 'Europe/Kyiv',
  'America/Godthab': 'America/Nuuk',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * The zone selector's choices: the browser's zone and UTC on top, then every IANA zone the
 * browser knows (Intl.supportedValuesOf, renamed zones by their current names) grouped by
 * region. `all` is only for tests.
 */
export function zoneChoices(browser: string, selected: string, known: readonly string[] = supportedZones()): ZoneChoices {
  const all = [...new Set(known.map(currentName))];
  const suggested = [...new Set([browser, UTC])];
  const listed = new Set(all);
  if (!suggested.includes(selected) && !listed.has(selected)) suggested.push(selected);
  const byRegion = new Map<string, string[]>();
  for (const zone of all) {
    if (suggested.includes(zone)) continue;
    const slash = zone.indexOf('/');
    const region = slash < 0 ? 'Other' : zone.slice(0, slash);
    const zones = byRegion.get(region) ?? [];
    zones.push(zone);
    byRegion.set(region, zones);
  }
  const regions = [...byRegion.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([region, zones]) => ({ region, zones: zones.sort() }));
  return { suggested, regions };
}

let supported: readonly string[] | undefined;
function supportedZones(): readonly string[] {
  supported ??= typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [UTC];
  return supported;
}

/** A zone's offset from UTC at an instant, "UTC+05:45", "UTC−08:00", "UTC". */
export function utcOffset(zone: string, instant: Date): string {
  const minutes = Math.round((wallClock(zone, instant.getTime()) - instant.getTime()) / 60_000);
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes > 0 ? '+' : '−'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
