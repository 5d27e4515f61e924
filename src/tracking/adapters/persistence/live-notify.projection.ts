import { EventWriteProjection } from '../../application/event-write-projections';

/** The channel every process NOTIFYs the ids of the events it stored on, and listens to. */
export const LIVE_CHANNEL = 'tracking_events';

/**
 * Ids per notification: 200 × 37 bytes (an id and a comma) = 7.4 kB, under PostgreSQL's
 * 8000-byte payload limit.
 */
export const IDS_PER_NOTIFICATION = 200;

/**
 * Announces the events a write stored: their ids, comma-separated, in chunks of 200, by
 * pg_notify inside the writing statement — so a notification goes out exactly when (and only
 * if) the events commit, and one write (a group commit of many requests) sends one or a few
 * notifications, not one per event. Not a trigger on `events`: Citus refuses triggers on a
 * distributed table. (Cast to text: Citus keeps the CTE's rows as an intermediate result, which
 * cannot hold a value of type void. On Citus the coordinator sends the notification.)
 */
export const LIVE_NOTIFY_PROJECTION: EventWriteProjection = {
  name: 'live_notified',
  sideEffectSql: `
    SELECT pg_notify('${LIVE_CHANNEL}', string_agg(id::text, ',' ORDER BY id))::text AS sent
    FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / ${IDS_PER_NOTIFICATION} AS chunk FROM inserted) AS chunks
    GROUP BY chunk`,
};
