import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ReadDatabase } from '../../../shared/database/read-database';
import { DataSource } from 'typeorm';
import { AnalyticsReadModel, MAX_SITES, Overview, OverviewFilter, USER_SET_ACTIONS } from '../../application/analytics.read-model';
import { Period } from '../../application/periods';
import { isoDay } from '../../../shared/time';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const QUARTER_MS = 900_000;
const floorTo = (unit: number, t: Date) => new Date(Math.floor(t.getTime() / unit) * unit);
const ceilTo = (unit: number, t: Date) => new Date(Math.ceil(t.getTime() / unit) * unit);
const dayOf = isoDay;

/**
 * How a range of instants [from, till) is read (a null bound: unbounded, only at the day
 * tier): whole UTC days from the daily rollups, whole UTC hours around them from the hourly
 * rollups, and what is left — less than an hour at each end, only where a bound is not on a
 * whole UTC hour (a zone whose offset is not whole hours: India, Nepal, Adelaide…). With
 * `quarters` (questions over all sites), that remainder's whole UTC quarter hours come from
 * the quarter-hour user ids (1763700008000) and only what is left of it — where a bound is not on a quarter hour, which
 * since 1979 no local midnight of any zone is — from the raw events; without, all of it from the raw
 * events (the overview, whose counters have no quarter-hour tier). The pieces do not overlap
 * and together are exactly the range.
 */
export interface Pieces {
  /** Whole days [from, till), or null: none. */
  days: { from: Date | null; till: Date | null } | null;
  hours: Array<[Date, Date]>;
  quarters: Array<[Date, Date]>;
  raw: Array<[Date, Date]>;
}

export function piecesOf(from: Date | null, till: Date | null, options: { quarters?: boolean } = {}): Pieces {
  const pieces: Pieces = { days: null, hours: [], quarters: [], raw: [] };
  if (from && till && from >= till) return pieces;
  /** Under an hour [lo, hi): its whole quarter hours (with `quarters`), the rest raw. */
  const edge = (lo: Date, hi: Date) => {
    const [qLo, qHi] = [ceilTo(QUARTER_MS, lo), floorTo(QUARTER_MS, hi)];
    if (!options.quarters || qLo >= qHi) return void pieces.raw.push([lo, hi]);
    if (lo < qLo) pieces.raw.push([lo, qLo]);
    pieces.quarters.push([qLo, qHi]);
    if (qHi < hi) pieces.raw.push([qHi, hi]);
  };
  const hourFrom = from && ceilTo(HOUR_MS, from);
  const hourTill = till && floorTo(HOUR_MS, till);
  if (hourFrom && hourTill && hourFrom >= hourTill) {
    // Less than one whole hour (within one or two hours).
    edge(from!, till!);
    return pieces;
  }
  if (from && from < hourFrom!) edge(from, hourFrom!);
  if (till && hourTill! < till) edge(hourTill!, till);
  const dayFrom = hourFrom && ceilTo(DAY_MS, hourFrom);
  const dayTill = hourTill && floorTo(DAY_MS, hourTill);
  if (dayFrom && dayTill && dayFrom >= dayTill) {
    pieces.hours.push([hourFrom!, hourTill!]);
    return pieces;
  }
  pieces.days = { from: dayFrom, till: dayTill };
  if (hourFrom && hourFrom < dayFrom!) pieces.hours.push([hourFrom, dayFrom!]);
  if (hourTill && dayTill! < hourTill) pieces.hours.push([dayTill!, hourTill]);
  return pieces;
}

/**
 * Answers from the rollups that every event write maintains (rollups.projection.ts): bitmaps
 * of active users and counts per site and action or path, per UTC day and per UTC hour. A
 * range of instants — a UTC day, a local day of any zone, a rolling window — is read as its
 * whole UTC days, its whole UTC hours around them, and the raw events of the less-than-an-hour
 * left at either end (see piecesOf), so every answer is exact and costs in proportion to the
 * days asked for, not to the events stored. Each answer is one statement, so it reads one
 * consistent snapshot.
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
    const days: Array<[number, string, string]> = [];
    const hours: Array<[number, Date, Date]> = [];
    const quarters: Array<[number, Date, Date]> = [];
    const raw: Array<[number, Date, Date]> = [];
    periods.forEach((p, i) => {
      // the quarter-hour ids are kept over all sites only: with a site, the edges stay raw
      const pieces = piecesOf(p.from, p.till, { quarters: filter.siteId === undefined });
      if (pieces.days) days.push([i + 1, dayOf(pieces.days.from!), dayOf(pieces.days.till!)]);
      for (const [lo, hi] of pieces.hours) hours.push([i + 1, lo, hi]);
      for (const [lo, hi] of pieces.quarters) quarters.push([i + 1, lo, hi]);
      for (const [lo, hi] of pieces.raw) raw.push([i + 1, lo, hi]);
    });
    // Without a site, the hours' rows over all sites (one per hour and chunk); with one, its rows.
    const hourly = filter.siteId === undefined ? 'analytics_hourly_users' : 'analytics_hourly_user_sets';
    const ofSite = filter.siteId === undefined ? '' : ' AND h.site_id = $11';
    // Raw edges (only where a bound is not on a quarter hour: instants, or offsets such as
    // −00:44:30) get their users' dense ids by index lookups when few, by a hash join when many.
    const ids =
      raw.length <= 4
        ? `raw_events r CROSS JOIN LATERAL (SELECT uid FROM analytics_users a WHERE a.user_id = r.user_id LIMIT 1) u`
        : `raw_events r JOIN analytics_users u ON u.user_id = r.user_id`;
    // With no raw edge (UTC, whole-hour zones, quarter-hour edges) `events` is not in the
    // statement: with action=login the planner scanned every partition for the login events
    // of an empty list of ranges (~600 ms at 5 M events for one UTC day of seed 000's daily
    // uniques, against ~2 ms without).
    const rawEvents =
      raw.length > 0
        ? `SELECT DISTINCT r.i, e.user_id
           FROM unnest($7::int[], $8::timestamptz[], $9::timestamptz[]) AS r(i, lo, hi)
           JOIN events e ON e.occurred_at >= r.lo AND e.occurred_at < r.hi
           WHERE e.user_id IS NOT NULL AND ($10 = '' OR e.action = $10) AND ($11::text IS NULL OR e.site_id = $11)`
        : `SELECT r.i, NULL::text COLLATE "C" AS user_id FROM unnest($7::int[], $8::timestamptz[], $9::timestamptz[]) AS r(i, lo, hi)`;
    // Per period, its days' (each day's sites OR-ed first) and hours' chunks OR-ed: `whole`.
    // Its edges' users (quarter hours' ids, raw edges' users mapped to ids; as chunk and
    // position) are not made into bitmaps: each distinct (period, id) counts when its bit is not
    // already set in `whole` — most are not (a half hour's users are mostly seen in no other
    // hour of the day), and one 512-byte bitmap built per id cost more than the rest.
    // Tiers a question does not use read no row.
    const rows: Array<{ n: number }> = await this.db.query(
      `WITH dp AS (SELECT i, lo, hi FROM unnest($1::int[], $2::date[], $3::date[]) AS p(i, lo, hi)),
       hp AS (SELECT i, lo, hi FROM unnest($4::int[], $5::timestamptz[], $6::timestamptz[]) AS p(i, lo, hi)),
       days AS MATERIALIZED (
         SELECT day, chunk, bit_or(bits) AS bits FROM analytics_user_sets
         WHERE action = $10 AND ($11::text IS NULL OR site_id = $11)
           AND day >= (SELECT min(lo) FROM dp) AND day < (SELECT max(hi) FROM dp)
         GROUP BY day, chunk),
       raw_events AS MATERIALIZED (${rawEvents}),
       whole AS MATERIALIZED (
         SELECT i, chunk, bit_or(bits) AS bits FROM (
           SELECT dp.i, d.chunk, d.bits FROM dp JOIN days d ON d.day >= dp.lo AND d.day < dp.hi
           UNION ALL
           -- per range of hours, an index scan of its rows (OFFSET 0 keeps the planner from
           -- turning this into a scan of the whole table filtered by every range)
           SELECT hp.i, h.chunk, h.bits FROM hp CROSS JOIN LATERAL (
             SELECT h.chunk, h.bits FROM ${hourly} h WHERE h.action = $10 AND h.hour >= hp.lo AND h.hour < hp.hi${ofSite} OFFSET 0) h) w
         GROUP BY i, chunk),
       edge_ids AS (
         SELECT i, chunk, array_agg(pos) AS ps FROM (
           SELECT qp.i, x.uid >> 12 AS chunk, (x.uid & 4095)::smallint AS pos FROM unnest($13::int[], $14::timestamptz[], $15::timestamptz[]) AS qp(i, lo, hi)
           CROSS JOIN LATERAL (
             SELECT q.uids FROM analytics_quarter_user_ids q WHERE q.action = $10 AND q.quarter >= qp.lo AND q.quarter < qp.hi OFFSET 0) q
           CROSS JOIN LATERAL unnest(q.uids) AS x(uid)
           UNION ALL
           SELECT r.i, u.uid >> 12, (u.uid & 4095)::smallint FROM ${ids}) e
         GROUP BY i, chunk),
       counts AS (
         SELECT i, sum(n) AS n FROM (
           SELECT i, sum(bit_count(bits)) AS n FROM whole GROUP BY i
           UNION ALL
           SELECT e.i, sum((SELECT count(DISTINCT p) FROM unnest(e.ps) AS p WHERE w.bits IS NULL OR get_bit(w.bits, p) = 0))
           FROM edge_ids e LEFT JOIN whole w ON w.i = e.i AND w.chunk = e.chunk GROUP BY e.i) x
         GROUP BY i)
       SELECT p.i, coalesce(c.n, 0)::int AS n FROM generate_series(1, $12::int) AS p(i) LEFT JOIN counts c ON c.i = p.i ORDER BY p.i`,
      [
        days.map((d) => d[0]), days.map((d) => d[1]), days.map((d) => d[2]),
        hours.map((h) => h[0]), hours.map((h) => h[1].toISOString()), hours.map((h) => h[2].toISOString()),
        raw.map((r) => r[0]), raw.map((r) => r[1].toISOString()), raw.map((r) => r[2].toISOString()),
        action, filter.siteId ?? null, periods.length,
        quarters.map((q) => q[0]), quarters.map((q) => q[1].toISOString()), quarters.map((q) => q[2].toISOString()),
      ],
    );
    return rows.map((row) => row.n);
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
           UNION ALL SELECT site_id, action, events FROM analytics_hourly_actions WHERE ${inHours}
           UNION ALL SELECT site_id, action, count(*) FROM edges GROUP BY site_id, action) a
         GROUP BY site_id, action),
       actions AS (SELECT action, sum(n) AS n FROM site_actions GROUP BY action),
       paths AS (
         SELECT path, sum(n) AS views FROM (
           SELECT path, views AS n FROM analytics_daily_paths WHERE ${inWhole}
           UNION ALL SELECT path, views FROM analytics_hourly_paths WHERE ${inHours}
           UNION ALL SELECT path, count(*) FROM edges WHERE action = 'page_view' AND path IS NOT NULL GROUP BY path) x
         GROUP BY path ORDER BY views DESC, path COLLATE "C" LIMIT $7),
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
