import { WINDOW_MS } from '../../domain/activity-window';

/**
 * The 4-hour rule of ActivityWindow in SQL, for every query that needs it (migrations excepted:
 * they are frozen history). Derived from WINDOW_MS; test/contract/window-sql.spec.ts holds it to
 * ActivityWindow against PostgreSQL at the boundaries.
 */

/** The length of a window, as an SQL interval. */
export const WINDOW_INTERVAL = `interval '${WINDOW_MS / 1000} seconds'`;

/** SQL form of ActivityWindow.containing(instant).start: 4-hour bins counted from the Unix epoch (UTC). */
export function windowStartOf(instant: string): string {
  return `date_bin(${WINDOW_INTERVAL}, ${instant}, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;
}

/** SQL form of ActivityWindow.end, from the window's start. */
export function windowEndOf(start: string): string {
  return `(${start} + ${WINDOW_INTERVAL})`;
}
