/**
 * The overview's date range: a preset (kept in the URL by name, so a bookmark of "last 7 days"
 * stays the last 7 days) or a custom range of calendar days. Days are local days of the
 * chosen time zone (UTC unless given), as the analytics API counts them with `tz`; ranges
 * are half-open [from, till) of instants. A DST day has 23 or 25 hours.
 */
import { addDays, dayStart, daysBetween, isDayStart, localDay, UTC } from './time-zone';

export const PRESETS = ['today', '24h', '7d', '30d', '90d', 'month', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: 'Today',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  month: 'This month',
  custom: 'Custom range',
};

export interface DateRange {
  /** Inclusive start, an instant. */
  from: Date;
  /** Exclusive end, an instant. */
  till: Date;
}

const DAY_MS = 86_400_000;

/** "2026-11-30" of an instant (UTC). */
export function isoDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** A "YYYY-MM-DD" that is a real day, as a Date at its UTC midnight; null otherwise. */
export function parseDay(text: string | undefined): Date | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || isoDay(date) !== text ? null : date;
}

/**
 * The range a preset means at `now` in `zone`. "Last N days" are N whole local days ending
 * with today (today included, so the figures move as the day goes on); "last 24 hours" ends
 * now; a custom range runs from the start of its first day to the end of its last day.
 */
export function resolveRange(preset: Preset, now: Date, custom?: { from?: string; to?: string }, zone: string = UTC): DateRange {
  const today = localDay(now, zone);
  const tomorrow = dayStart(addDays(today, 1), zone);
  switch (preset) {
    case 'today':
      return { from: dayStart(today, zone), till: tomorrow };
    case '24h':
      return { from: new Date(now.getTime() - DAY_MS), till: now };
    case '7d':
    case '30d':
    case '90d': {
      const days = Number(preset.slice(0, -1));
      return { from: dayStart(addDays(today, 1 - days), zone), till: tomorrow };
    }
    case 'month':
      return { from: dayStart(`${today.slice(0, 8)}01`, zone), till: tomorrow };
    case 'custom': {
      const from = parseDay(custom?.from) ? custom!.from! : today;
      const last = parseDay(custom?.to) ? custom!.to! : from;
      const [first, end] = from <= last ? [from, last] : [last, from];
      return { from: dayStart(first, zone), till: dayStart(addDays(end, 1), zone) };
    }
  }
}

/**
 * The period of equal length just before a range: what its change is measured against. A
 * range of whole local days is compared with as many local days before it (so across a DST
 * change both are whole days, not equal hours); any other range with the same duration.
 */
export function previousRange(range: DateRange, zone: string = UTC): DateRange {
  if (isDayStart(range.from, zone) && isDayStart(range.till, zone)) {
    const first = localDay(range.from, zone);
    const days = daysBetween(first, localDay(range.till, zone));
    return { from: dayStart(addDays(first, -days), zone), till: range.from };
  }
  const length = range.till.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), till: range.from };
}

/** The local calendar days of `zone` a range touches, as "YYYY-MM-DD" (first and last day inclusive). */
export function rangeDays(range: DateRange, zone: string = UTC): { from: string; to: string } {
  return { from: localDay(range.from, zone), to: localDay(new Date(range.till.getTime() - 1), zone) };
}

export function isPreset(value: string | undefined): value is Preset {
  return (PRESETS as readonly string[]).includes(value ?? '');
}
