/**
 * The overview's date range: a preset (kept in the URL by name, so a bookmark of "last 7 days"
 * stays the last 7 days) or a custom range of calendar days. Days are UTC days, as the
 * analytics API counts them; ranges are half-open [from, till).
 */
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

export function startOfUtcDay(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

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
 * The range a preset means at `now`. "Last N days" are N whole days ending with today (today
 * included, so the figures move as the day goes on); "last 24 hours" ends now; a custom range
 * runs from its first day to the end of its last day.
 */
export function resolveRange(preset: Preset, now: Date, custom?: { from?: string; to?: string }): DateRange {
  const today = startOfUtcDay(now);
  const tomorrow = new Date(today.getTime() + DAY_MS);
  switch (preset) {
    case 'today':
      return { from: today, till: tomorrow };
    case '24h':
      return { from: new Date(now.getTime() - DAY_MS), till: now };
    case '7d':
    case '30d':
    case '90d': {
      const days = Number(preset.slice(0, -1));
      return { from: new Date(tomorrow.getTime() - days * DAY_MS), till: tomorrow };
    }
    case 'month':
      return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), till: tomorrow };
    case 'custom': {
      const from = parseDay(custom?.from) ?? today;
      const last = parseDay(custom?.to) ?? from;
      const [first, end] = from.getTime() <= last.getTime() ? [from, last] : [last, from];
      return { from: first, till: new Date(end.getTime() + DAY_MS) };
    }
  }
}

/** The period of equal length just before a range: what its change is measured against. */
export function previousRange(range: DateRange): DateRange {
  const length = range.till.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), till: range.from };
}

/** The calendar days a range touches, as "YYYY-MM-DD" (first and last day inclusive). */
export function rangeDays(range: DateRange): { from: string; to: string } {
  return { from: isoDay(range.from), to: isoDay(new Date(range.till.getTime() - 1)) };
}

export function isPreset(value: string | undefined): value is Preset {
  return (PRESETS as readonly string[]).includes(value ?? '');
}
