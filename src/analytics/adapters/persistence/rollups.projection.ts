import { EventWriteProjection } from '../../../tracking/application/event-write-projections';

/** The UTC hour an event falls in, whatever the session's TimeZone (as migration 1763700007000 computes it). */
const HOUR = `date_bin('1 hour', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

/** The user-set rows of the write at one granularity: `period` is the day or hour expression. */
const userSets = (table: string, column: string, period: string) =>
  `INSERT INTO ${table} AS s (${column}, site_id, action, chunk, bits)
       SELECT m.${column}, m.site_id, m.action, ids.uid >> 12, bit_or(B'1'::bit(4096) >> (ids.uid & 4095))
       FROM (SELECT DISTINCT ${period} AS ${column}, e.site_id, a.action, e.user_id
             FROM inserted e
             CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
             WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
       JOIN (SELECT user_id, uid FROM rollup_known_users UNION ALL SELECT user_id, uid FROM rollup_added_users) ids
         ON ids.user_id = m.user_id
       GROUP BY 1, 2, 3, 4 ORDER BY 3, 2, 1, 4
       ON CONFLICT (action, site_id, ${column}, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
       WHERE (s.bits | EXCLUDED.bits) <> s.bits
       RETURNING 1`;

/**
 * Keeps the analytics rollups in step with every event write, as CTEs of the statement that
 * stores the events (see migration 1763700003000 for the tables, and 1763700005000 for why this
 * is no longer a trigger): over the rows actually inserted, so a duplicate never counts twice,
 * and in the same transaction, so the rollups and the events commit together.
 *
 * Dense user ids: the users of the write already known are read from analytics_users; the
 * others are inserted. A user a concurrent write inserted after this statement's snapshot is
 * invisible to the read, and its insert conflicts: `DO UPDATE` (a no-op change of the racing
 * row) makes the conflicting row's id come back in RETURNING, so every user of the write has
 * an id and no id is read from a snapshot that misses it. Only true races draw (and burn) an id.
 *
 * Rows are written in key order, so concurrent writers lock them in the same order (no
 * deadlock), and a user-set row is only rewritten when a bit actually changes. Days are UTC
 * dates of occurred_at, hours UTC hours (migration 1763700007000: the hourly tier serves local
 * days of other time zones); site_id NULL ("no site") stays distinct from ''.
 */
export const ANALYTICS_ROLLUP_PROJECTION: EventWriteProjection = {
  name: 'rollup_paths',
  before: [
    ['rollup_batch_users', `SELECT DISTINCT user_id FROM inserted WHERE user_id IS NOT NULL`],
    ['rollup_known_users', `SELECT b.user_id, u.uid FROM rollup_batch_users b JOIN analytics_users u ON u.user_id = b.user_id`],
    [
      'rollup_added_users',
      `INSERT INTO analytics_users AS u (user_id)
       SELECT b.user_id FROM rollup_batch_users b
       WHERE NOT EXISTS (SELECT FROM rollup_known_users k WHERE k.user_id = b.user_id)
       ORDER BY b.user_id
       ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
       RETURNING u.user_id, u.uid`,
    ],
    ['rollup_user_sets', userSets('analytics_user_sets', 'day', `(e.occurred_at AT TIME ZONE 'UTC')::date`)],
    ['rollup_hourly_user_sets', userSets('analytics_hourly_user_sets', 'hour', `date_bin('1 hour', e.occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`)],
    [
      // the same over all sites: the batch's hourly rows OR-ed across sites
      'rollup_hourly_users',
      `INSERT INTO analytics_hourly_users AS s (hour, action, chunk, bits)
       SELECT m.hour, m.action, ids.uid >> 12, bit_or(B'1'::bit(4096) >> (ids.uid & 4095))
       FROM (SELECT DISTINCT ${HOUR} AS hour, a.action, e.user_id
             FROM inserted e
             CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
             WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
       JOIN (SELECT user_id, uid FROM rollup_known_users UNION ALL SELECT user_id, uid FROM rollup_added_users) ids
         ON ids.user_id = m.user_id
       GROUP BY 1, 2, 3 ORDER BY 2, 1, 3
       ON CONFLICT (action, hour, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
       WHERE (s.bits | EXCLUDED.bits) <> s.bits
       RETURNING 1`,
    ],
    [
      'rollup_actions',
      `INSERT INTO analytics_daily_actions AS c (day, site_id, action, events)
       SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, action, count(*)
       FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (day, site_id, action) DO UPDATE SET events = c.events + EXCLUDED.events
       RETURNING 1`,
    ],
    [
      'rollup_hourly_actions',
      `INSERT INTO analytics_hourly_actions AS c (hour, site_id, action, events)
       SELECT ${HOUR}, site_id, action, count(*)
       FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (hour, site_id, action) DO UPDATE SET events = c.events + EXCLUDED.events
       RETURNING 1`,
    ],
    [
      'rollup_hourly_paths',
      `INSERT INTO analytics_hourly_paths AS c (hour, site_id, path, views)
       SELECT ${HOUR}, site_id, path, count(*)
       FROM inserted WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (hour, site_id, path) DO UPDATE SET views = c.views + EXCLUDED.views
       RETURNING 1`,
    ],
  ],
  sql: `
    INSERT INTO analytics_daily_paths AS c (day, site_id, path, views)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, path, count(*)
    FROM inserted WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, site_id, path) DO UPDATE SET views = c.views + EXCLUDED.views`,
};
