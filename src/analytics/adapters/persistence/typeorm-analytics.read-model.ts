import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ReadDatabase } from '../../../shared/database/read-database';
import { DataSource } from 'typeorm';
import { AnalyticsReadModel, MAX_SITES, Overview, OverviewFilter, USER_SET_ACTIONS } from '../../application/analytics.read-model';
import { Period } from '../../application/periods';
import { isoDay } from '../../../shared/time';

const DAY_MS = 86_400_000;
const isMidnight = (t: Date) => t.getTime() % DAY_MS === 0;
const floorDay = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);
const ceilDay = (t: Date) => new Date(Math.ceil(t.getTime() / DAY_MS) * DAY_MS);
const dayOf = isoDay;

/**
 * Answers from the rollups that the `analytics_rollups` trigger maintains as events are
 * inserted (see the migration that creates them): bitmaps of active users per day, site and
 * action, and counts per day, site and action or path. Whole UTC days come from the rollups;
 * only the partial days at the edges of an overview range are read from raw events, so every
 * answer is exact and costs in proportion to the days asked for, not to the events stored.
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
    if (periods.some((p) => !isMidnight(p.from) || !isMidnight(p.till))) throw new Error('periods must start and end at UTC midnight');
    if (periods.length === 0) return [];
    // Per day, the sites' chunks OR-ed together; per period, its days' chunks OR-ed; the
    // count is the number of bits set.
    const rows: Array<{ n: number }> = await this.db.query(
      `WITH p AS (SELECT lo, hi, i FROM unnest($1::date[], $2::date[]) WITH ORDINALITY AS p(lo, hi, i)),
       days AS MATERIALIZED (
         SELECT day, chunk, bit_or(bits) AS bits FROM analytics_user_sets
         WHERE action = $3 AND ($4::text IS NULL OR site_id = $4)
           AND day >= (SELECT min(lo) FROM p) AND day < (SELECT max(hi) FROM p)
         GROUP BY day, chunk),
       per AS (SELECT p.i, d.chunk, bit_or(d.bits) AS bits FROM p JOIN days d ON d.day >= p.lo AND d.day < p.hi GROUP BY p.i, d.chunk)
       SELECT p.i, coalesce((SELECT sum(bit_count(per.bits)) FROM per WHERE per.i = p.i), 0)::int AS n FROM p ORDER BY p.i`,
      [periods.map((p) => dayOf(p.from)), periods.map((p) => dayOf(p.till)), action, filter.siteId ?? null],
    );
    return rows.map((row) => row.n);
  }

  async overview({ from, till, siteId, top }: OverviewFilter): Promise<Overview> {
    // Whole days [wholeFrom, wholeTill) from the rollups (null = unbounded); the rest of
    // [from, till) — at most a partial day at each end — from raw events.
    const wholeFrom = from ? ceilDay(from) : null;
    const wholeTill = till ? floorDay(till) : null;
    const hasWhole = !(wholeFrom && wholeTill && wholeFrom >= wholeTill);
    const edges: Array<[Date, Date]> = [];
    if (!hasWhole) {
      if (from! < till!) edges.push([from!, till!]);
    } else {
      if (from && from < wholeFrom!) edges.push([from, wholeFrom!]);
      if (till && wholeTill! < till) edges.push([wholeTill!, till]);
    }
    const inWhole = `$1 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day < $3) AND ($6::text IS NULL OR site_id = $6)`;
    // Unique users: with no whole day, the edge events' distinct users. Otherwise the whole
    // days' bitmaps, plus the edge users absent from them. Those can only be among the users
    // of the edges' days (each edge lies within one day, whose bitmap is kept) that are not in
    // the whole days' bitmap: usually a few hundred ids, found by bitmap arithmetic, turned
    // into user ids, and matched against the edge events. That replaces mapping every edge
    // user to its id (a hash of the whole user table), which cost most of the time.
    // The per-site split does the same per site: the whole days' bitmaps are OR-ed per site
    // and chunk first (the total ORs those across sites), and a site's edge candidates are its
    // edge-day users not in its own whole-day bitmap. Sites are matched NULL-safely ("no site"
    // is NULL) through the pair (site_id IS NULL, coalesce(site_id, '')), which stays hashable.
    const sameSite = (a: string, b: string) => `(${a}.site_id IS NULL, coalesce(${a}.site_id, '')) = (${b}.site_id IS NULL, coalesce(${b}.site_id, ''))`;
    const users = hasWhole
      ? `(SELECT coalesce(sum(bit_count(bits)), 0) FROM whole_users)
         + (SELECT count(DISTINCT user_id) FROM edges
            WHERE user_id IN (SELECT u.user_id FROM candidates c JOIN analytics_users u ON u.uid = c.uid WHERE c.everywhere))`
      : `(SELECT count(DISTINCT user_id) FROM edges)`;
    const edgeSiteUsers = hasWhole
      ? `SELECT e.site_id, count(DISTINCT e.user_id) FROM edges e
         JOIN (SELECT DISTINCT c.site_id, u.user_id FROM candidates c JOIN analytics_users u ON u.uid = c.uid WHERE NOT c.everywhere) s
           ON ${sameSite('s', 'e')} AND s.user_id = e.user_id
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
    const [row]: Array<{
      actions: Record<string, string | number>;
      paths: Array<{ path: string; views: number }>;
      users: string;
      sites: Array<{ site_id: string | null; events: string | number; unique_users: string | number; page_views: string | number }>;
    }> = await this.db.query(
      `WITH edges AS MATERIALIZED (${edgeEvents}),
       site_actions AS MATERIALIZED (
         SELECT site_id, action, sum(n) AS n FROM (
           SELECT site_id, action, events AS n FROM analytics_daily_actions WHERE ${inWhole}
           UNION ALL SELECT site_id, action, count(*) FROM edges GROUP BY site_id, action) a
         GROUP BY site_id, action),
       actions AS (SELECT action, sum(n) AS n FROM site_actions GROUP BY action),
       paths AS (
         SELECT path, sum(n) AS views FROM (
           SELECT path, views AS n FROM analytics_daily_paths WHERE ${inWhole}
           UNION ALL SELECT path, count(*) FROM edges WHERE action = 'page_view' AND path IS NOT NULL GROUP BY path) x
         GROUP BY path ORDER BY views DESC, path COLLATE "C" LIMIT $7),
       whole_site_users AS MATERIALIZED (
         SELECT site_id, chunk, bit_or(bits) AS bits FROM analytics_user_sets WHERE action = '' AND ${inWhole} GROUP BY site_id, chunk),
       whole_users AS MATERIALIZED (SELECT chunk, bit_or(bits) AS bits FROM whole_site_users GROUP BY chunk),
       edge_day_users AS MATERIALIZED (
         SELECT site_id, chunk, bit_or(bits) AS bits FROM analytics_user_sets
         WHERE action = '' AND day = ANY($8::date[]) AND ($6::text IS NULL OR site_id = $6) GROUP BY site_id, chunk),
       -- per chunk, the users of the edges' days not in the whole days: over all sites
       -- (everywhere), and per site against that site's whole days
       not_whole AS (
         SELECT true AS everywhere, NULL::text AS site_id, d.chunk, CASE WHEN w.bits IS NULL THEN d.bits ELSE d.bits & ~w.bits END AS bits
         FROM (SELECT chunk, bit_or(bits) AS bits FROM edge_day_users GROUP BY chunk) d
         LEFT JOIN whole_users w ON w.chunk = d.chunk
         UNION ALL
         SELECT false, d.site_id, d.chunk, CASE WHEN w.bits IS NULL THEN d.bits ELSE d.bits & ~w.bits END
         FROM edge_day_users d LEFT JOIN whole_site_users w ON ${sameSite('w', 'd')} AND w.chunk = d.chunk),
       -- their ids: only the 64-bit words with a bit set are looked into
       words AS MATERIALIZED (
         SELECT n.everywhere, n.site_id, n.chunk * 64 + k AS word, substring(n.bits FROM k * 64 + 1 FOR 64) AS bits
         FROM not_whole n, generate_series(0, 63) AS k
         WHERE bit_count(n.bits) > 0 AND bit_count(substring(n.bits FROM k * 64 + 1 FOR 64)) > 0),
       candidates AS MATERIALIZED (
         SELECT w.everywhere, w.site_id, w.word * 64 + i AS uid FROM words w, generate_series(0, 63) AS i WHERE get_bit(w.bits, i) = 1),
       site_users AS (
         SELECT site_id, sum(n) AS n FROM (
           SELECT site_id, sum(bit_count(bits)) AS n FROM whole_site_users GROUP BY site_id
           UNION ALL ${edgeSiteUsers}) x
         GROUP BY site_id),
       sites AS (
         SELECT site_id, sum(n) AS events, coalesce(sum(n) FILTER (WHERE action = 'page_view'), 0) AS page_views
         FROM site_actions GROUP BY site_id
         ORDER BY events DESC, site_id COLLATE "C" NULLS LAST LIMIT $9)
       SELECT
         (SELECT coalesce(json_object_agg(action, n ORDER BY action COLLATE "C"), '{}') FROM actions) AS actions,
         (SELECT coalesce(json_agg(json_build_object('path', path, 'views', views) ORDER BY views DESC, path COLLATE "C"), '[]')
          FROM paths) AS paths,
         ${users} AS users,
         (SELECT coalesce(json_agg(json_build_object('site_id', s.site_id, 'events', s.events, 'unique_users', coalesce(u.n, 0),
                                                     'page_views', s.page_views)
                                   ORDER BY s.events DESC, s.site_id COLLATE "C" NULLS LAST), '[]')
          FROM sites s LEFT JOIN site_users u ON ${sameSite('u', 's')}) AS sites`,
      [
        hasWhole,
        wholeFrom && dayOf(wholeFrom),
        wholeTill && dayOf(wholeTill),
        edges.map(([lo]) => lo.toISOString()),
        edges.map(([, hi]) => hi.toISOString()),
        siteId ?? null,
        top,
        hasWhole ? edges.map(([lo]) => dayOf(lo)) : [],
        MAX_SITES,
      ],
    );
    const eventsByAction = Object.fromEntries(Object.entries(row.actions).map(([action, n]) => [action, Number(n)]));
    return {
      totalEvents: Object.values(eventsByAction).reduce((sum, n) => sum + n, 0),
      uniqueUsers: Number(row.users),
      pageViews: eventsByAction.page_view ?? 0,
      eventsByAction,
      topPaths: row.paths.map((p) => ({ path: p.path, views: Number(p.views) })),
      sites: row.sites.map((s) => ({ siteId: s.site_id, events: Number(s.events), uniqueUsers: Number(s.unique_users), pageViews: Number(s.page_views) })),
    };
  }
}
