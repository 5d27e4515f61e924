import { isoDay } from '../../../shared/time';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const floorTo = (unit: number, t: Date) => new Date(Math.floor(t.getTime() / unit) * unit);
const ceilTo = (unit: number, t: Date) => new Date(Math.ceil(t.getTime() / unit) * unit);

/**
 * How a range of instants [from, till) is read (a null bound: unbounded, only at the day
 * tier): whole UTC days from the daily rollups, whole UTC hours around them from the hourly
 * rollups, and what is left — less than an hour at each end, only where a bound is not on a
 * whole UTC hour (a zone whose offset is not whole hours: India, Nepal, Adelaide…) — from the
 * raw events. The pieces do not overlap and together are exactly the range.
 */
export interface Pieces {
  /** Whole days [from, till), or null: none. */
  days: { from: Date | null; till: Date | null } | null;
  hours: Array<[Date, Date]>;
  raw: Array<[Date, Date]>;
}

export function piecesOf(from: Date | null, till: Date | null): Pieces {
  const pieces: Pieces = { days: null, hours: [], raw: [] };
  if (from && till && from >= till) return pieces;
  const hourFrom = from && ceilTo(HOUR_MS, from);
  const hourTill = till && floorTo(HOUR_MS, till);
  if (hourFrom && hourTill && hourFrom >= hourTill) {
    // Less than one whole hour: raw events only (within one or two hours).
    pieces.raw.push([from!, till!]);
    return pieces;
  }
  if (from && from < hourFrom!) pieces.raw.push([from, hourFrom!]);
  if (till && hourTill! < till) pieces.raw.push([hourTill!, till]);
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

/** One range whose users are wanted, numbered by the caller (`i`, any integers). A null bound is unbounded. */
export interface UserSetRange {
  i: number;
  from: Date | null;
  till: Date | null;
}

/**
 * The one place that turns ranges of instants into user bitmaps — every tier of piecesOf read
 * here and nowhere else. Gives the text of CTEs (to follow a `WITH`, or a comma) whose last,
 * `name`, holds a row (i, chunk, bits) per range and 4096-user chunk with a user active in the
 * range: the OR of the range's whole days (each day's sites OR-ed first), whole hours and the
 * raw events of its sub-hour edges (mapped to their dense ids). Bits follow
 * rollups.projection.ts: user `uid` is bit `uid & 4095` of chunk `uid >> 12`. `firstParam` is
 * the number of the first `$n` these CTEs use; `params` are to be passed from there.
 *
 * A tier no range uses is left out of the statement: in particular `events` is not in it
 * unless some range has an edge off the whole hours (a whole-day question plans no partition
 * of events). Every CTE is an ordinary statement on Citus: `events` (distributed) is only read
 * in one materialized CTE joined with unnest(), whose result the coordinator then joins with
 * its own tables.
 */
export function periodUserSets(
  ranges: UserSetRange[],
  filter: { siteId?: string; action: string },
  firstParam: number,
  name = 'period_sets',
): { ctes: string; params: unknown[] } {
  const days: Array<[number, string, string]> = [];
  const hours: Array<[number, Date, Date]> = [];
  const raw: Array<[number, Date, Date]> = [];
  for (const r of ranges) {
    const pieces = piecesOf(r.from, r.till);
    if (pieces.days) {
      days.push([r.i, pieces.days.from ? isoDay(pieces.days.from) : '-infinity', pieces.days.till ? isoDay(pieces.days.till) : 'infinity']);
    }
    for (const [lo, hi] of pieces.hours) hours.push([r.i, lo, hi]);
    for (const [lo, hi] of pieces.raw) raw.push([r.i, lo, hi]);
  }
  // Each value becomes the next parameter where the text first needs it: a tier left out
  // leaves out its parameters too (PostgreSQL refuses a parameter it cannot type).
  const params: unknown[] = [];
  const param = (value: unknown, type: string) => {
    params.push(value);
    return `$${firstParam + params.length - 1}::${type}`;
  };
  const once = (value: unknown, type: string) => {
    let text: string | undefined;
    return () => (text ??= param(value, type));
  };
  const [actionParam, siteParam] = [once(filter.action, 'text'), once(filter.siteId ?? null, 'text')];
  // Without a site, the hours' rows over all sites (one per hour and chunk); with one, its rows.
  const hourly = filter.siteId === undefined ? 'analytics_hourly_users' : 'analytics_hourly_user_sets';
  const ofSite = filter.siteId === undefined ? '' : ` AND h.site_id = ${siteParam()}`;
  // The raw edges' users get their dense ids: by index lookups when there are a few edges
  // (a local day: ~2 × half an hour of users), by one hash join when there are many (30
  // local days of a half-hour zone: 60 half hours, where lookups cost ten times more).
  const ids =
    raw.length <= 4
      ? `${name}_raw r CROSS JOIN LATERAL (SELECT uid FROM analytics_users a WHERE a.user_id = r.user_id LIMIT 1) u`
      : `${name}_raw r JOIN analytics_users u ON u.user_id = r.user_id`;
  const ctes: string[] = [];
  const pieces: string[] = [];
  if (days.length > 0) {
    ctes.push(
      `${name}_dp AS (SELECT i, lo, hi FROM unnest(${param(days.map((d) => d[0]), 'int[]')}, ${param(days.map((d) => d[1]), 'date[]')}, ${param(days.map((d) => d[2]), 'date[]')}) AS p(i, lo, hi))`,
      `${name}_days AS MATERIALIZED (
         SELECT day, chunk, bit_or(bits) AS bits FROM analytics_user_sets
         WHERE action = ${actionParam()} AND (${siteParam()} IS NULL OR site_id = ${siteParam()})
           AND day >= (SELECT min(lo) FROM ${name}_dp) AND day < (SELECT max(hi) FROM ${name}_dp)
         GROUP BY day, chunk)`,
    );
    pieces.push(`SELECT dp.i, d.chunk, d.bits FROM ${name}_dp dp JOIN ${name}_days d ON d.day >= dp.lo AND d.day < dp.hi`);
  }
  if (hours.length > 0) {
    const [i, lo, hi] = [param(hours.map((h) => h[0]), 'int[]'), param(hours.map((h) => h[1].toISOString()), 'timestamptz[]'), param(hours.map((h) => h[2].toISOString()), 'timestamptz[]')];
    ctes.push(`${name}_hp AS (SELECT i, lo, hi FROM unnest(${i}, ${lo}, ${hi}) AS p(i, lo, hi))`);
    // per range of hours, an index scan of its rows (OFFSET 0 keeps the planner from turning
    // this into a scan of the whole table filtered by every range)
    pieces.push(
      `SELECT hp.i, h.chunk, h.bits FROM ${name}_hp hp CROSS JOIN LATERAL (
         SELECT h.chunk, h.bits FROM ${hourly} h WHERE h.action = ${actionParam()} AND h.hour >= hp.lo AND h.hour < hp.hi${ofSite} OFFSET 0) h`,
    );
  }
  if (raw.length > 0) {
    const [i, lo, hi] = [param(raw.map((r) => r[0]), 'int[]'), param(raw.map((r) => r[1].toISOString()), 'timestamptz[]'), param(raw.map((r) => r[2].toISOString()), 'timestamptz[]')];
    ctes.push(
      `${name}_raw AS MATERIALIZED (
         SELECT DISTINCT r.i, e.user_id
         FROM unnest(${i}, ${lo}, ${hi}) AS r(i, lo, hi)
         JOIN events e ON e.occurred_at >= r.lo AND e.occurred_at < r.hi
         WHERE e.user_id IS NOT NULL AND (${actionParam()} = '' OR e.action = ${actionParam()}) AND (${siteParam()} IS NULL OR e.site_id = ${siteParam()}))`,
    );
    pieces.push(`SELECT r.i, u.uid >> 12, B'1'::bit(4096) >> (u.uid & 4095) FROM ${ids}`);
  }
  // Only empty ranges: no row.
  if (pieces.length === 0) pieces.push(`SELECT NULL::int, NULL::int, NULL::bit(4096) WHERE false`);
  ctes.push(`${name} AS (SELECT i, chunk, bit_or(bits) AS bits FROM (${pieces.join('\n         UNION ALL\n         ')}) p(i, chunk, bits) GROUP BY i, chunk)`);
  return { ctes: ctes.join(',\n       '), params };
}
