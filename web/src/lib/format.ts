/**
 * Numbers and times for people. Every shortened figure has an exact form for its tooltip
 * (`title`), so nothing is hidden by the rounding.
 */
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const exact = new Intl.NumberFormat('en');

/** 1234 → "1.2K", 999 → "999", 1_500_000 → "1.5M". */
export function formatCompact(value: number): string {
  return Math.abs(value) < 1000 ? exact.format(value) : compact.format(value);
}

/** 1234567 → "1,234,567". */
export function formatExact(value: number): string {
  return exact.format(value);
}

/** 0.3412 → "34%", 0.0042 → "0.4%", 0 → "0%". Fractions, not percentages, in. */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  const digits = percent !== 0 && Math.abs(percent) < 10 ? 1 : 0;
  return `${percent.toFixed(digits).replace(/\.0$/, '')}%`;
}

export interface Change {
  /** "+34%", "−12%", "no change", or "new" when the previous period had nothing. */
  text: string;
  direction: 'up' | 'down' | 'flat' | 'new';
  /** The exact sentence for the tooltip and screen readers. */
  description: string;
}

/** The change of a figure against the previous period of equal length. */
export function formatChange(current: number, previous: number): Change {
  const description = `${formatExact(current)} against ${formatExact(previous)} in the previous period`;
  if (previous === 0) {
    return current === 0 ? { text: 'no change', direction: 'flat', description } : { text: 'new', direction: 'new', description };
  }
  const fraction = (current - previous) / previous;
  if (fraction === 0) return { text: 'no change', direction: 'flat', description };
  const text = formatPercent(Math.abs(fraction));
  return fraction > 0 ? { text: `+${text}`, direction: 'up', description } : { text: `−${text}`, direction: 'down', description };
}

/** Milliseconds → "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0).replace(/\.0$/, '')} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** An instant in the reader's own zone: "30 Nov 2026, 14:05:09". */
export function formatDateTime(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
