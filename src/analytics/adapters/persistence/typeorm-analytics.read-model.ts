import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ReadDatabase } from '../../../shared/database/read-database';
import { DataSource } from 'typeorm';
import { AnalyticsReadModel, MAX_SITES, Overview, OverviewFilter, RetentionFilter, USER_SET_ACTIONS } from '../../application/analytics.read-model';
import { UserSetRange, periodUserSets, piecesOf } from './period-user-sets.sql';
import { Period } from '../../application/periods';
import { isoDay, LATEST_INSTANT } from '../../../shared/time';

const HOUR_MS = 3_600_000;
const floorTo = (unit: number, t: Date) => new Date(Math.floor(t.getTime() / unit) * unit);
const dayOf = isoDay;

export { piecesOf } from './period-user-sets.sql';

const DAY_MS = 86_400_000;

/**
 * The counters' reading of whole hours (the overview's events per action and page views per
 * path): counts add up, so a run of more than 12 whole hours inside one UTC day is read as that
 * day's daily row minus the day's other hours, fewer rows than the hours themselves (a local day
 * of India: 5 hours, 1 day and 6 hours subtracted, instead of 23 hours). Exact where a day's
 * daily counters are the sum of its hourly ones — every day written or backfilled since the
 * hourly tier (1763700007000); a day whose events a retention had dropped before that
 * migration has daily counters but no hourly ones. Hours are split at UTC midnights first. The
 * last day of the accepted range (9999-12-31) is read hour by hour: its end is not an instant
 * the database takes.
 */
export function counterHours(hours: Array<[Date, Date]>): { days: string[]; plus: Array<[Date, Date]>; minus: Array<[Date, Date]> } {
  const out = { days: [] as string[], plus: [] as Array<[Date, Date]>, minus: [] as Array<[Date, Date]> };
  for (const [lo, hi] of hours) {
    for (let a = lo; a < hi; ) {
      const day = new Date(Math.floor(a.getTime() / DAY_MS) * DAY_MS);
      const next = new Date(day.getTime() + DAY_MS);
      const b = hi < next ? hi : next;
      if (b.getTime() - a.getTime() > DAY_MS / 2 && next <= LATEST_INSTANT) {
        out.days.push(isoDay(day));
        if (day < a) out.minus.push([day, a]);
        if (b < next) out.minus.push([b, next]);
      } else {
        out.plus.push([a, b]);
      }
      a = b;
    }
  }
  return out;
}
export type { Pieces } from './period-user-sets.sql';

/**
 * Answers from the rollups that every event write maintains (rollups.projection.ts): bitmaps
 * of active users and counts per site and action or path, per UTC day and per UTC hour. A
 * range of instants — a UTC day, a local day of any zone, a rolling window — is read as its
 * whole UTC days, its whole UTC hours around them, and the raw events of the less-than-an-hour
 * left at either end (see piecesOf), so every answer is exact and costs in proportion to the
 * days asked for, not to the events stored. The user bitmaps of ranges are built in one place,
 * period-user-sets.sql.ts, for unique users, retention cohorts and the overview's new users.
 * Each answer is one statement, so it reads one consistent snapshot.
 */
@Injectable()
export class TypeOrmAnalyticsReadModel extends AnalyticsReadModel {
  constructor(
    @InjectDataSource() primary: DataSource,
    /** Every answer here is a read: a healthy replica serves it, or the primary (see ReadDatabase). */
    @Optional() reads: ReadDatabase = ReadDatabase.primaryOnly(primary),
  ) {
    super();
    this.db = { query: (sql, params) => reads.read((db) => db.query(sql, params)) };
  }

  private readonly db: { query<T = any>(sql: string, params: unknown[]): Promise<T> };

  async uniqueUsers(periods: Period[], filter: { siteId?: string; action?: string } = {}): Promise<number[]> {
    const action = filter.action ?? '';
    if (!USER_SET_ACTIONS.includes(action)) throw new Error(`no user set is kept for action ${action}`);
    if (periods.length === 0) return [];
    // Per period, its days' (each day's sites OR-ed first) and hours' chunks OR-ed, and its
    // edges' users (quarter hours', raw remainders') as positions (period-user-sets.sql.ts).
    const sets = periodUserSets(periods.map((p, k) => ({ i: k + 1, from: p.from, till: p.till })), { siteId: filter.siteId, action }, 2);
    // The whole pieces' bits, plus each edge user whose bit is not already set in them: no
    // bitmap is built per edge user (a half hour's users are mostly seen in no other hour of
    // the day, and one 512-byte bitmap per id cost more than the rest).
    const rows: Array<{ n: number }> = await this.db.query(
      `WITH ${sets.ctes},
       counts AS (
         SELECT i, sum(n) AS n FROM (
           SELECT i, sum(bit_count(bits)) AS n FROM period_sets_whole GROUP BY i
           UNION ALL
           SELECT e.i, sum((SELECT count(DISTINCT p) FROM unnest(e.ps) AS p WHERE w.bits IS NULL OR get_bit(w.bits, p) = 0))
           FROM period_sets_edges e LEFT JOIN period_sets_whole w ON w.i = e.i AND w.chunk = e.chunk GROUP BY e.i) x
         GROUP BY i)
       SELECT p.i, coalesce(c.n, 0)::int AS n FROM generate_series(1, $1::int) AS p(i) LEFT JOIN counts c ON c.i = p.i ORDER BY p.i`,
      [periods.length, ...sets.params],
    );
    return rows.map((row) => row.n);
  }

  async retention(periods: Period[], { mode, siteId, action = '' }: RetentionFilter): Promise<number[][]> {
    if (!USER_SET_ACTIONS.includes(action)) throw new Error(`no user set is kept for action ${action}`);
    if (periods.length === 0) return [];
    // Range 0: everything before the first cohort (new mode only); ranges 1…n: the periods.
    const ranges: UserSetRange[] = periods.map((p, k) => ({ i: k + 1, from: p.from, till: p.till }));
    if (mode === 'new') ranges.unshift({ i: 0, from: null, till: periods[0].from });
    const sets = periodUserSets(ranges, { siteId, action }, 2);
    // A new cohort: its period's users minus every user seen before the period — range 0 and
    // the periods before it, OR-ed per chunk incrementally (a running window: each period's
    // union is the previous one's OR one more set, not a fresh OR of all earlier days).
    const cohorts =
      mode === 'new'
        ? `SELECT i, chunk, CASE WHEN seen IS NULL THEN bits ELSE bits & ~seen END AS bits
           FROM (SELECT i, chunk, bits, bit_or(bits) OVER (PARTITION BY chunk ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen
                 FROM period_sets) s
           WHERE i >= 1`
        : `SELECT i, chunk, bits FROM period_sets`;
    // Cell (i, j), j >= i: the cohort of period i still active in period j, chunk by chunk.
    const rows: Array<{ i: number; j: number; n: number }> = await this.db.query(
      `WITH ${sets.ctes},
       cohorts AS MATERIALIZED (${cohorts}),
       cells AS (
         SELECT c.i, s.i AS j, sum(bit_count(c.bits & s.bits)) AS n
         FROM cohorts c JOIN period_sets s ON s.chunk = c.chunk AND s.i >= c.i
         WHERE s.i <= $1::int
         GROUP BY c.i, s.i)
       SELECT i, j, n::int AS n FROM cells`,
      [periods.length, ...sets.params],
    );
    const matrix = periods.map((_, k) => new Array<number>(periods.length - k).fill(0));
    for (const row of rows) if (row.n > 0) matrix[row.i - 1][row.j - row.i] = row.n;
    return matrix;
  }

  async overview({ from, till, siteId, top }: OverviewFilter): Promise<Overview> {
    // Whole days and whole hours from the rollups; the rest of [from, till) — under an hour at
    // each end — from raw events.
    const pieces = piecesOf(from ?? null, till ?? null);
    const hasWhole = pieces.days !== null || pieces.hours.length > 0;
    const edges = pieces.raw;
    const [h1, h2] = [pieces.hours[0] ?? [null, null], pieces.hours[1] ?? [null, null]];
    const inWhole = `$1 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day < $3) AND ($6::text IS NULL OR site_id = $6)`;
    const inHours = `((hour >= $9 AND hour < $10) OR (hour >= $11 AND hour < $12)) AND ($6::text IS NULL OR site_id = $6)`;
    // The counters read the same whole hours as days minus hours where that is fewer rows
    // (counterHours); the user sets, which cannot subtract, read the hours themselves.
    const counter = counterHours(pieces.hours);
    const inCounterDays = `day = ANY($13::date[]) AND ($6::text IS NULL OR site_id = $6)`;
    const hourRanges = (table: string, lo: number) =>
      `unnest($${lo}::timestamptz[], $${lo + 1}::timestamptz[]) AS r(lo, hi)
           JOIN ${table} h ON h.hour >= r.lo AND h.hour < r.hi WHERE $6::text IS NULL OR h.site_id = $6`;
    const [plusHours, minusHours] = [(table: string) => hourRanges(table, 14), (table: string) => hourRanges(table, 16)];
    // Unique users: with no whole day or hour, the edge events' distinct users. Otherwise the
    // whole days' and hours' bitmaps, plus the edge users whose bit is not set in them. An
    // edge is under an hour at each end of the range (two at most), so its users are few
    // (~2,000 for a local day of India at 5 M events) and take their dense ids by index
    // lookups. (Until issue 15's performance pass the candidates were found the other way
    // round — the edge hours' users missing from the whole, bit by bit, turned into user ids:
    // ~360,000 get_bit calls, 70% of a local day's overview in Kolkata.)
    // The per-site split does the same per site: the whole days' bitmaps are OR-ed per site
    // and chunk first (the total ORs those across sites), and a site's edge users count when
    // not in its own whole bitmap. Sites are matched NULL-safely ("no site" is NULL) through
    // the pair (site_id IS NULL, coalesce(site_id, '')), which stays hashable.
    const sameSite = (a: string, b: string) => `(${a}.site_id IS NULL, coalesce(${a}.site_id, '')) = (${b}.site_id IS NULL, coalesce(${b}.site_id, ''))`;
    const users = hasWhole
      ? `(SELECT coalesce(sum(bit_count(bits)), 0) FROM whole_users)
         + (SELECT count(*) FROM (SELECT DISTINCT uid FROM edge_ids) e LEFT JOIN whole_users w ON w.chunk = e.uid >> 12
            WHERE w.bits IS NULL OR get_bit(w.bits, e.uid & 4095) = 0)`
      : `(SELECT count(DISTINCT user_id) FROM edges)`;
    const edgeSiteUsers = hasWhole
      ? `SELECT e.site_id, count(*) FROM edge_ids e
         LEFT JOIN whole_site_users w ON ${sameSite('w', 'e')} AND w.chunk = e.uid >> 12
         WHERE w.bits IS NULL OR get_bit(w.bits, e.uid & 4095) = 0
         GROUP BY e.site_id`
      : `SELECT site_id, count(DISTINCT user_id) FROM edges GROUP BY site_id`;
    // The edges' raw events. With no edge (whole days only: the dashboard's presets, the
    // compat routes' days and months) `events` is not in the statement at all: planning and
    // opening every weekly partition for a scan that reads nothing cost a one-day overview
    // 10–15% at 14 partitions (measured against the unpartitioned table of 5ed252c), and that
    // cost grows with the number of partitions kept. (Scans bounded by each edge's own values
    // were tried too, so that the planner prunes to the edge's partition: the better row
    // estimate then chose a merge join that sorts every edge event, 1.7× slower.)
    const edgeEvents =
      edges.length > 0
        ? `SELECT e.site_id, e.user_id, e.action, e.path
           FROM unnest($4::timestamptz[], $5::timestamptz[]) AS r(lo, hi)
           JOIN events e ON e.occurred_at >= r.lo AND e.occurred_at < r.hi
           WHERE $6::text IS NULL OR e.site_id = $6`
        : `SELECT NULL::text AS site_id, NULL::text COLLATE "C" AS user_id, NULL::text AS action, NULL::text AS path
           FROM unnest($4::timestamptz[], $5::timestamptz[])`;
    // New users: the range's users (range 1) not seen before it (range 0: everything before
    // `from`, by the same bitmaps). Without `from` nobody was seen before: every user is new.
    const sets = from
      ? periodUserSets([{ i: 0, from: null, till: from }, { i: 1, from, till: till ?? null }], { siteId, action: '' }, 18)
      : null;
    const newUsers = sets
      ? `(SELECT coalesce(sum(bit_count(CASE WHEN b.bits IS NULL THEN a.bits ELSE a.bits & ~b.bits END)), 0)
          FROM period_sets a LEFT JOIN period_sets b ON b.i = 0 AND b.chunk = a.chunk WHERE a.i = 1)`
      : 'NULL';
    const [row]: Array<{
      new_users: string | null;
      actions: Record<string, string | number>;
      paths: Array<{ path: string; views: number }>;
      users: string;
      sites: Array<{ site_id: string | null; events: string | number; unique_users: string | number; page_views: string | number }>;
    }> = await this.db.query(
      `WITH ${sets ? `${sets.ctes},` : ''}
       edges AS MATERIALIZED (${edgeEvents}),
       site_actions AS MATERIALIZED (
         SELECT site_id, action, sum(n) AS n FROM (
           SELECT site_id, action, events AS n FROM analytics_daily_actions WHERE ${inWhole}
           UNION ALL SELECT site_id, action, events FROM analytics_daily_actions WHERE ${inCounterDays}
           UNION ALL SELECT h.site_id, h.action, h.events FROM ${plusHours('analytics_hourly_actions')}
           UNION ALL SELECT h.site_id, h.action, -h.events FROM ${minusHours('analytics_hourly_actions')}
           UNION ALL SELECT site_id, action, count(*) FROM edges GROUP BY site_id, action) a
         GROUP BY site_id, action HAVING sum(n) > 0),
       actions AS (SELECT action, sum(n) AS n FROM site_actions GROUP BY action),
       paths AS (
         SELECT path, sum(n) AS views FROM (
           SELECT path, views AS n FROM analytics_daily_paths WHERE ${inWhole}
           UNION ALL SELECT path, views FROM analytics_daily_paths WHERE ${inCounterDays}
           UNION ALL SELECT h.path, h.views FROM ${plusHours('analytics_hourly_paths')}
           UNION ALL SELECT h.path, -h.views FROM ${minusHours('analytics_hourly_paths')}
           UNION ALL SELECT path, count(*) FROM edges WHERE action = 'page_view' AND path IS NOT NULL GROUP BY path) x
         GROUP BY path HAVING sum(n) > 0 ORDER BY views DESC, path COLLATE "C" LIMIT $7),
       whole_site_users AS MATERIALIZED (
         SELECT site_id, chunk, bit_or(bits) AS bits FROM (
           SELECT site_id, chunk, bits FROM analytics_user_sets WHERE action = '' AND ${inWhole}
           UNION ALL SELECT site_id, chunk, bits FROM analytics_hourly_user_sets WHERE action = '' AND ${inHours}) w
         GROUP BY site_id, chunk),
       whole_users AS MATERIALIZED (SELECT chunk, bit_or(bits) AS bits FROM whole_site_users GROUP BY chunk),
       -- the edges' distinct (site, user), with their dense ids
       edge_ids AS MATERIALIZED (
         SELECT e.site_id, u.uid FROM (SELECT DISTINCT site_id, user_id FROM edges WHERE user_id IS NOT NULL) e
         CROSS JOIN LATERAL (SELECT a.uid FROM analytics_users a WHERE a.user_id = e.user_id LIMIT 1) u),
       site_users AS (
         SELECT site_id, sum(n) AS n FROM (
           SELECT site_id, sum(bit_count(bits)) AS n FROM whole_site_users GROUP BY site_id
           UNION ALL ${edgeSiteUsers}) x
         GROUP BY site_id),
       sites AS (
         SELECT site_id, sum(n) AS events, coalesce(sum(n) FILTER (WHERE action = 'page_view'), 0) AS page_views
         FROM site_actions GROUP BY site_id
         ORDER BY events DESC, site_id COLLATE "C" NULLS LAST LIMIT $8)
       SELECT
         (SELECT coalesce(json_object_agg(action, n ORDER BY action COLLATE "C"), '{}') FROM actions) AS actions,
         (SELECT coalesce(json_agg(json_build_object('path', path, 'views', views) ORDER BY views DESC, path COLLATE "C"), '[]')
          FROM paths) AS paths,
         ${users} AS users,
         ${newUsers} AS new_users,
         (SELECT coalesce(json_agg(json_build_object('site_id', s.site_id, 'events', s.events, 'unique_users', coalesce(u.n, 0),
                                                     'page_views', s.page_views)
                                   ORDER BY s.events DESC, s.site_id COLLATE "C" NULLS LAST), '[]')
          FROM sites s LEFT JOIN site_users u ON ${sameSite('u', 's')}) AS sites`,
      [
        pieces.days !== null,
        pieces.days?.from ? dayOf(pieces.days.from) : null,
        pieces.days?.till ? dayOf(pieces.days.till) : null,
        edges.map(([lo]) => lo.toISOString()),
        edges.map(([, hi]) => hi.toISOString()),
        siteId ?? null,
        top,
        MAX_SITES,
        h1[0]?.toISOString() ?? null, h1[1]?.toISOString() ?? null, h2[0]?.toISOString() ?? null, h2[1]?.toISOString() ?? null,
        counter.days,
        counter.plus.map(([lo]) => lo.toISOString()), counter.plus.map(([, hi]) => hi.toISOString()),
        counter.minus.map(([lo]) => lo.toISOString()), counter.minus.map(([, hi]) => hi.toISOString()),
        ...(sets?.params ?? []),
      ],
    );
    const eventsByAction = Object.fromEntries(Object.entries(row.actions).map(([action, n]) => [action, Number(n)]));
    return {
      totalEvents: Object.values(eventsByAction).reduce((sum, n) => sum + n, 0),
      uniqueUsers: Number(row.users),
      newUsers: row.new_users === null ? Number(row.users) : Number(row.new_users),
      pageViews: eventsByAction.page_view ?? 0,
      eventsByAction,
      topPaths: row.paths.map((p) => ({ path: p.path, views: Number(p.views) })),
      sites: row.sites.map((s) => ({ siteId: s.site_id, events: Number(s.events), uniqueUsers: Number(s.unique_users), pageViews: Number(s.page_views) })),
    };
  }
}
