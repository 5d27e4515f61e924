import { EventWriteProjection } from '../../../tracking/application/event-write-projections';
import { windowStartOf } from './window-sql';

/**
 * Marks the windows of newly stored events in the ledger, in the statement that stores them:
 * a new window becomes pending; a computed one becomes stale because its version moves past
 * the computed version. Rows are upserted in window order so concurrent writers lock ledger
 * rows in the same order and cannot deadlock.
 */
export const WINDOW_MARKING_PROJECTION: EventWriteProjection = {
  name: 'marked_windows',
  sql: `
    INSERT INTO metric_windows AS w (window_start, version)
    SELECT ${windowStartOf('occurred_at')}, count(*) FROM inserted WHERE user_id IS NOT NULL GROUP BY 1 ORDER BY 1
    ON CONFLICT (window_start) DO UPDATE SET version = w.version + EXCLUDED.version`,
};
