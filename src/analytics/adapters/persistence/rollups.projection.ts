import { EventWriteProjection } from '../../../tracking/application/event-write-projections';

/** The UTC day of an event's occurred_at (`e` its table's alias, or '' for none). */
const dayOf = (e: string) => `(${e}occurred_at AT TIME ZONE 'UTC')::date`;
/** The UTC hour an event falls in, whatever the session's TimeZone (as migration 1763700007000 computes it). */
const hourOf = (e: string) => `date_bin('1 hour', ${e}occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

/** A counter of the write's events per period, site and `key` (action, or path of page views), added to the stored count. */
const counts = (table: string, column: string, period: string, key: 'action' | 'path', value: 'events' | 'views') =>
  `INSERT INTO ${table} AS c (${column}, site_id, ${key}, ${value})
       SELECT ${period}, site_id, ${key}, count(*)
       FROM inserted${key === 'path' ? ` WHERE action = 'page_view' AND path IS NOT NULL` : ''} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (${column}, site_id, ${key}) DO UPDATE SET ${value} = c.${value} + EXCLUDED.${value}`;

/**
 * The user-set rows of the write at one granularity: `period` is the day or hour expression;
 * per site, or (`perSite` false) over all sites — the batch's rows OR-ed across sites. Rows in
 * key order (action, site, period, chunk).
 */
const userSets = (table: string, column: string, period: string, perSite = true, returning = '1') => {
  const site = perSite ? ['site_id'] : [];
  const cols = [column, ...site, 'action'];
  return `INSERT INTO ${table} AS s (${[...cols, 'chunk', 'bits'].join(', ')})
       SELECT ${cols.map((c) => `m.${c}`).join(', ')}, ids.uid >> 12, bit_or(B'1'::bit(4096) >> (ids.uid & 4095))
       FROM (SELECT DISTINCT ${period} AS ${column}, ${site.map((c) => `e.${c}, `).join('')}a.action, e.user_id
             FROM inserted e
             CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
             WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
       JOIN (SELECT user_id, uid FROM rollup_known_users UNION ALL SELECT user_id, uid FROM rollup_added_users) ids
         ON ids.user_id = m.user_id
       GROUP BY ${perSite ? '1, 2, 3, 4 ORDER BY 3, 2, 1, 4' : '1, 2, 3 ORDER BY 2, 1, 3'}
       ON CONFLICT (${['action', ...site, column, 'chunk'].join(', ')}) DO UPDATE SET bits = s.bits | EXCLUDED.bits
       WHERE (s.bits | EXCLUDED.bits) <> s.bits
       RETURNING ${returning}`;
};

/**
 * A coarser user-set tier made from a finer one's CTE (`source`): the finer rows this write
 * changed — each returned with its stored bits — OR-ed into the coarser rows they fall in
 * (`period`: the coarser period of `h.hour`). Exact because a coarser row holds every user of
 * the finer rows inside it (a day every user of its hours, an hour over all sites every user of
 * its sites' hours, a six-hour block every user of its hours, a month every user of its days): a finer row the write left as it
 * was changes no coarser row. So only the finest tier (the hours per site) takes the batch's
 * distinct users and their ids; the others take what it returns. Measured (bench:analytics,
 * WRITE_VARIANTS, batches of 100 / 1,000, two runs): about 0–10% less time per event than
 * each tier from the batch's own DISTINCT and id join. Rows in key order.
 */
const coarser = (table: string, column: string, period: string, source: string, perSite: boolean, returning = '1') => {
  const site = perSite ? ['site_id'] : [];
  return `INSERT INTO ${table} AS s (${[column, ...site, 'action', 'chunk', 'bits'].join(', ')})
       SELECT ${period}, ${site.map((c) => `h.${c}, `).join('')}h.action, h.chunk, bit_or(h.bits)
       FROM ${source} h
       GROUP BY ${perSite ? '1, 2, 3, 4 ORDER BY 3, 2, 1, 4' : '1, 2, 3 ORDER BY 2, 1, 3'}
       ON CONFLICT (${['action', ...site, column, 'chunk'].join(', ')}) DO UPDATE SET bits = s.bits | EXCLUDED.bits
       WHERE (s.bits | EXCLUDED.bits) <> s.bits
       RETURNING ${returning}`;
};

/** The UTC quarter hour an event falls in (as migration 1763700008000 computes it). */
const quarterOf = (e: string) => `date_bin('15 minutes', ${e}occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

/**
 * The quarter-hour user ids of the write (1763700008000), over all sites: per quarter, action
 * and block of 65,536 ids, the batch's ids merged into the stored sorted array; a row is only
 * rewritten when it gains an id. Rows in key order (action, quarter, block).
 */
const quarterUserIds = `INSERT INTO analytics_quarter_user_ids AS q (quarter, action, block, uids)
       SELECT m.quarter, m.action, ids.uid >> 16, array_agg(DISTINCT ids.uid ORDER BY ids.uid)
       FROM (SELECT DISTINCT ${quarterOf('e.')} AS quarter, a.action, e.user_id
             FROM inserted e
             CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
             WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
       JOIN (SELECT user_id, uid FROM rollup_known_users UNION ALL SELECT user_id, uid FROM rollup_added_users) ids
         ON ids.user_id = m.user_id
       GROUP BY 1, 2, 3 ORDER BY 2, 1, 3
       ON CONFLICT (action, quarter, block) DO UPDATE
         SET uids = ARRAY(SELECT DISTINCT x FROM unnest(q.uids || EXCLUDED.uids) AS x ORDER BY x)
       WHERE NOT q.uids @> EXCLUDED.uids
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
 * days of other time zones), quarter hours UTC quarter hours (1763700008000: the edges of local
 * days in zones whose offset is not whole hours), six-hour blocks
 * the UTC 00–06, 06–12, 12–18 and 18–24 (1763700010000: the middle of local days); site_id NULL
 * ("no site") stays distinct from ''. The user sets per hour and site are made from the batch;
 * the days', the hours' over all sites, the six-hour blocks' and the months' (1763700011000: "seen
 * before" a date, over all sites) from the rows of the finer tier the write changed (see coarser).
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
    // the hours per site from the batch; every coarser user set from the rows of a finer one the write changed
    ['rollup_hourly_user_sets', userSets('analytics_hourly_user_sets', 'hour', hourOf('e.'), true, 's.hour, s.site_id, s.action, s.chunk, s.bits')],
    ['rollup_user_sets', coarser('analytics_user_sets', 'day', `(h.hour AT TIME ZONE 'UTC')::date`, 'rollup_hourly_user_sets', true, 's.day, s.action, s.chunk, s.bits')],
    ['rollup_monthly_users', coarser('analytics_monthly_users', 'month', `date_trunc('month', h.day::timestamp)::date`, 'rollup_user_sets', false)],
    ['rollup_hourly_users', coarser('analytics_hourly_users', 'hour', 'h.hour', 'rollup_hourly_user_sets', false, 's.hour, s.action, s.chunk, s.bits')],
    ['rollup_six_hour_users', coarser('analytics_six_hour_users', 'six_hour', `date_bin('6 hours', h.hour, TIMESTAMPTZ '1970-01-01 00:00:00+00')`, 'rollup_hourly_users', false)],
    ['rollup_quarter_user_ids', quarterUserIds],
    ['rollup_actions', `${counts('analytics_daily_actions', 'day', dayOf(''), 'action', 'events')} RETURNING 1`],
    ['rollup_hourly_actions', `${counts('analytics_hourly_actions', 'hour', hourOf(''), 'action', 'events')} RETURNING 1`],
    ['rollup_hourly_paths', `${counts('analytics_hourly_paths', 'hour', hourOf(''), 'path', 'views')} RETURNING 1`],
  ],
  sql: counts('analytics_daily_paths', 'day', dayOf(''), 'path', 'views'),
};
