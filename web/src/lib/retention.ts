/**
 * The pure part of the Retention page: how a cohort answer of GET /api/analytics/retention
 * becomes the rows and cells of its heat-map table. No DOM, no fetch (retention.spec.ts).
 */
import { formatExact, formatPercent } from './format';
import { addDays } from './time-zone';

export const PERIODS = ['day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];
export const MODES = ['new', 'returning'] as const;
export type Mode = (typeof MODES)[number];

export const PERIOD_LABELS: Record<Period, string> = { day: 'Day', week: 'Week', month: 'Month' };
export const MODE_LABELS: Record<Mode, string> = { new: 'New users (first seen in the period)', returning: 'Returning (every user active in the period)' };

export const isPeriod = (value: string | undefined): value is Period => (PERIODS as readonly string[]).includes(value ?? '');
export const isMode = (value: string | undefined): value is Mode => (MODES as readonly string[]).includes(value ?? '');

/** What the table needs of one cohort of the API's answer. */
export interface Cohort {
  period_start: string;
  users: number;
  active: number[];
  fraction: Array<number | null>;
}

/** The number of colour steps of the heat map (and of its legend), besides "none". */
export const HEAT_LEVELS = 5;

/**
 * A fraction's colour step: 0 for none active, then 1…5 for up to 20 %, 40 %, 60 %, 80 %,
 * 100 %; null when there is no fraction (a cohort without users).
 */
export function heatLevel(fraction: number | null): number | null {
  if (fraction === null || Number.isNaN(fraction)) return null;
  if (fraction <= 0) return 0;
  return Math.min(HEAT_LEVELS, Math.ceil(fraction * HEAT_LEVELS - 1e-9));
}

/** The legend's steps: a level and the fractions it stands for, "0%", "up to 20%", "20–40%", … */
export function heatLegend(): Array<{ level: number; label: string }> {
  const step = 1 / HEAT_LEVELS;
  return [
    { level: 0, label: '0%' },
    ...Array.from({ length: HEAT_LEVELS }, (_, i) => ({
      level: i + 1,
      label: i === 0 ? `up to ${formatPercent(step)}` : `${formatPercent(i * step).replace('%', '')}–${formatPercent((i + 1) * step)}`,
    })),
  ];
}

/** "Week 0", "Day 3", "Month 11": the column of a period offset. */
export function offsetLabel(period: Period, offset: number): string {
  return `${PERIOD_LABELS[period]} ${offset}`;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
const monthFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'short', year: 'numeric' });

/** A cohort's name: "24 Nov 2026", "Week of 23 Nov 2026", "Nov 2026" (period_start is a local day). */
export function cohortLabel(period: Period, periodStart: string): string {
  const date = new Date(`${periodStart}T00:00:00Z`);
  if (period === 'month') return monthFormat.format(date);
  return period === 'week' ? `Week of ${dayFormat.format(date)}` : dayFormat.format(date);
}

export interface HeatCell {
  offset: number;
  /** null: the period is not part of the answer (after `till`). */
  active: number | null;
  fraction: number | null;
  level: number | null;
  /** What the cell shows: "34%", "–" for a cohort without users, '' past the range. */
  text: string;
  /** The whole value in words, for the tooltip and screen readers. */
  description: string;
}

export interface HeatRow {
  periodStart: string;
  label: string;
  users: number;
  cells: HeatCell[];
}

/**
 * The matrix as rows of equal length: one per cohort, one cell per period offset from 0 to
 * the longest cohort's last; a cohort's offsets past the range are empty cells.
 */
export function heatRows(period: Period, cohorts: Cohort[]): { offsets: number[]; rows: HeatRow[] } {
  const width = cohorts.reduce((max, c) => Math.max(max, c.active.length), 0);
  const offsets = Array.from({ length: width }, (_, i) => i);
  const rows = cohorts.map((cohort) => ({
    periodStart: cohort.period_start,
    label: cohortLabel(period, cohort.period_start),
    users: cohort.users,
    cells: offsets.map((offset): HeatCell => {
      if (offset >= cohort.active.length) {
        return { offset, active: null, fraction: null, level: null, text: '', description: `${offsetLabel(period, offset)} is after the range` };
      }
      const active = cohort.active[offset];
      const fraction = cohort.fraction[offset] ?? null;
      const of = `${formatExact(active)} of ${formatExact(cohort.users)} users active in ${offsetLabel(period, offset).toLowerCase()}`;
      return {
        offset,
        active,
        fraction,
        level: heatLevel(fraction),
        text: fraction === null ? '–' : formatPercent(fraction),
        description: fraction === null ? `${of} (no users in this cohort)` : `${of} (${formatPercent(fraction)})`,
      };
    }),
  }));
  return { offsets, rows };
}

/** The first day of the period holding `day`: itself, its ISO week's Monday, or its month's 1st. */
export function periodStartOf(period: Period, day: string): string {
  if (period === 'month') return `${day.slice(0, 8)}01`;
  if (period === 'week') return addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));
  return day;
}

/**
 * The API's [from, till) for a range of local days, both inclusive: the cohorts are the
 * periods starting in it, so `from` is moved back to the start of its period (the route
 * refuses a week that does not start on a Monday, a month not on its 1st), and `till` is the
 * day after the last.
 */
export function retentionDays(period: Period, days: { from: string; to: string }): { from: string; till: string } {
  return { from: periodStartOf(period, days.from), till: addDays(days.to, 1) };
}
