/**
 * The pure part of the overview and user pages: how API answers become rows, series and
 * labels. No DOM, no fetch, so it is unit-tested beside (overview-data.spec.ts).
 */
import type { DateRange } from './date-range';
import { isDayStart, localDay, UTC } from './time-zone';

const DAY_MS = 86_400_000;

/** Labels of ranges and windows, in UTC (the API's days are UTC days). */
const dayFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});


const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormatIn(zone: string): Intl.DateTimeFormat {
  let format = timeFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
    timeFormats.set(zone, format);
  }
  return format;
}

/** "30 Nov 2026" of a calendar day "YYYY-MM-DD" (whatever the zone: the day is already local). */
export function formatDay(day: string): string {
  return dayFormat.format(new Date(`${day}T00:00:00Z`));
}

/**
 * "24 Nov 2026 – 30 Nov 2026" for whole local days of `zone` (the exclusive end shown as the
 * last day), "30 Nov 2026" for one day, "29 Nov 2026, 14:05 – 30 Nov 2026, 14:05 UTC"
 * (the zone's name at the end) otherwise.
 */
export function formatRange(range: DateRange, zone: string = UTC): string {
  if (isDayStart(range.from, zone) && isDayStart(range.till, zone)) {
    const first = formatDay(localDay(range.from, zone));
    const last = formatDay(localDay(new Date(range.till.getTime() - 1), zone));
    return first === last ? first : `${first} – ${last}`;
  }
  const format = timeFormatIn(zone);
  return `${format.format(range.from)} – ${format.format(range.till)} ${zone}`;
}

/** "23 Oct 2025, 12:00 – 16:00 UTC": a metric window (both ends on one day, or the end at midnight). */
export function formatWindow(startIso: string, endIso: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const endTime = end.toISOString().slice(11, 16);
  return `${timeFormat.format(start)} – ${endTime === '00:00' && end.getTime() - start.getTime() <= DAY_MS ? '24:00' : endTime} UTC`;
}

/** True when a range does not cover whole local days of `zone`: the daily chart then shows every day it touches. */
export function coversPartialDays(range: DateRange, zone: string = UTC): boolean {
  return !isDayStart(range.from, zone) || !isDayStart(range.till, zone);
}

export interface ActionRow {
  action: string;
  events: number;
  /** Fraction of all events in the range. */
  share: number;
}

/** events_by_action as rows, most events first, ties by action name. */
export function actionRows(eventsByAction: Record<string, number>): ActionRow[] {
  const total = Object.values(eventsByAction).reduce((sum, n) => sum + n, 0);
  return Object.entries(eventsByAction)
    .map(([action, events]) => ({ action, events, share: total === 0 ? 0 : events / total }))
    .sort((a, b) => b.events - a.events || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

/** A site as the site filter and the split name it: the API's null is events without a site. */
export function siteLabel(siteId: string | null): string {
  return siteId === null ? '(no site)' : siteId;
}

/**
 * The site filter's choices: the sites with events in the range (as the split lists them),
 * plus the selected one when it had none (a bookmark must still show what it filters by).
 * Events without a site cannot be filtered to, so null is left out.
 */
export function siteOptions(sites: Array<{ site_id: string | null }>, selected?: string): string[] {
  const ids = sites.map((s) => s.site_id).filter((id): id is string => id !== null);
  if (selected && !ids.includes(selected)) ids.push(selected);
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Daily active users and the rolling WAU and MAU of the same days as chart input: the days
 * (as UTC midnights, in ms) and one value list per series, aligned by day. The three answers
 * come from three calls over the same days, so their days must agree; a mismatch is a bug.
 */
export function activeUserSeries(
  dau: Array<{ period_start: string; unique_users: number }>,
  wau: Array<{ period_start: string; unique_users: number }>,
  mau: Array<{ period_start: string; unique_users: number }>,
): { times: number[]; dau: number[]; wau: number[]; mau: number[] } {
  const days = dau.map((p) => p.period_start);
  for (const other of [wau, mau]) {
    if (other.length !== days.length || other.some((p, i) => p.period_start !== days[i])) {
      throw new Error('the active-user answers cover different days');
    }
  }
  return {
    times: days.map((day) => Date.parse(`${day}T00:00:00Z`)),
    dau: dau.map((p) => p.unique_users),
    wau: wau.map((p) => p.unique_users),
    mau: mau.map((p) => p.unique_users),
  };
}

/** Active seconds (the API's unit) as minutes for the chart, kept to 0.01 minute. */
export function activeMinutes(activeSeconds: number): number {
  return Math.round((activeSeconds / 60) * 100) / 100;
}
