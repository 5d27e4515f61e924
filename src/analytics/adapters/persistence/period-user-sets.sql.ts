import { isoDay } from '../../../shared/time';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const QUARTER_MS = 900_000;
const SIX_HOURS_MS = 6 * HOUR_MS;
const floorTo = (unit: number, t: Date) => new Date(Math.floor(t.getTime() / unit) * unit);
const ceilTo = (unit: number, t: Date) => new Date(Math.ceil(t.getTime() / unit) * unit);

/**
 * How a range of instants [from, till) is read (a null bound: unbounded, only at the day
 * tier): whole UTC days from the daily rollups, whole UTC hours around them from the hourly
 * rollups, and what is left — less than an hour at each end, only where a bound is not on a
 * whole UTC hour (a zone whose offset is not whole hours: India, Nepal, Adelaide…). With
 * `quarters` (questions over all sites), that remainder's whole UTC quarter hours come from
 * the quarter-hour user ids (1763700008000) and only what is left of it — where a bound is not on a quarter hour, which
 * since 1979 no local midnight of any zone is — from the raw events; without, all of it from the raw
 * events (the overview, whose counters have no quarter-hour tier). With `blocks` (questions over
 * all sites), the whole hours' whole UTC six-hour blocks come from the six-hour user sets
 * (1763700010000) and only the hours around them from the hourly tier: a local day is then at
 * most 6 hours and 3 blocks instead of 24 hours. The pieces do not overlap and together are
 * exactly the range.
 */
export interface Pieces {
  /** Whole days [from, till), or null: none. */
  days: { from: Date | null; till: Date | null } | null;
  /** Whole UTC six-hour blocks (00, 06, 12, 18 UTC), only with `blocks`. */
  blocks: Array<[Date, Date]>;
  hours: Array<[Date, Date]>;
  quarters: Array<[Date, Date]>;
  raw: Array<[Date, Date]>;
}

export function piecesOf(from: Date | null, till: Date | null, options: { quarters?: boolean; blocks?: boolean } = {}): Pieces {
  const pieces: Pieces = { days: null, blocks: [], hours: [], quarters: [], raw: [] };
  /** Whole hours [lo, hi): with `blocks`, its whole six-hour blocks, the hours around them. */
  const hours = (lo: Date, hi: Date) => {
    const [bLo, bHi] = [ceilTo(SIX_HOURS_MS, lo), floorTo(SIX_HOURS_MS, hi)];
    if (!options.blocks || bLo >= bHi) return void pieces.hours.push([lo, hi]);
    if (lo < bLo) pieces.hours.push([lo, bLo]);
    pieces.blocks.push([bLo, bHi]);
    if (bHi < hi) pieces.hours.push([bHi, hi]);
  };
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
    hours(hourFrom!, hourTill!);
    return pieces;
  }
  pieces.days = { from: dayFrom, till: dayTill };
  if (hourFrom && hourFrom < dayFrom!) hours(hourFrom, dayFrom!);
  if (hourTill && dayTill! < hourTill) hours(dayTill!, hourTill);
  return pieces;
}

/** One range whose users are wanted, numbered by the caller (`i`, any integers). A null bound is unbounded. */
export interface UserSetRange {
  i: number;
  from: Date | null;
  till: Date | null;
}

/**
 * The one place that turns ranges of instants into user sets — every tier of piecesOf read
 * here and nowhere else. Gives the text of CTEs (to follow a `WITH`, or a comma) for a row per
 * range `i` and 4096-user chunk with a user active in the range: `${name}_whole` (i, chunk,
 * bits), the OR of the range's whole days (each day's sites OR-ed first; the days before a
 * date in one aggregate), whole six-hour blocks (over all sites) and whole hours; `${name}_edges` (i, chunk, ps), the positions in the
 * chunk of the users of its sub-hour edges (the quarter-hour ids over all sites, the raw
 * events of what is left, mapped to their dense ids; repeats possible); and `${name}` (i,
 * chunk, bits), both as bitmaps — for answers that need sets (retention, new users), while a
 * count needs only the first two. Bits follow rollups.projection.ts: user `uid` is bit
 * `uid & 4095` of chunk `uid >> 12`. `firstParam` is the number of the first `$n` these CTEs
 * use; `params` are to be passed from there.
 *
 * A tier no range uses is left out of the statement: in particular `events` is not in it
 * unless some range has an edge off the quarter hours (a whole-day question plans no partition
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
  /** Days from the first ever: "seen before" (retention's new users, the overview's). */
  const history: Array<[number, string]> = [];
  const hours: Array<[number, Date, Date]> = [];
  const blocks: Array<[number, Date, Date]> = [];
  const quarters: Array<[number, Date, Date]> = [];
  const raw: Array<[number, Date, Date]> = [];
  for (const r of ranges) {
    // the quarter-hour ids and six-hour sets are kept over all sites only: with a site, the
    // edges stay raw and the hours are that site's hourly rows
    const allSites = filter.siteId === undefined;
    const pieces = piecesOf(r.from, r.till, { quarters: allSites, blocks: allSites });
    if (pieces.days) {
      const till = pieces.days.till ? isoDay(pieces.days.till) : 'infinity';
      if (pieces.days.from) days.push([r.i, isoDay(pieces.days.from), till]);
      else history.push([r.i, till]);
    }
    for (const [lo, hi] of pieces.hours) hours.push([r.i, lo, hi]);
    for (const [lo, hi] of pieces.blocks) blocks.push([r.i, lo, hi]);
    for (const [lo, hi] of pieces.quarters) quarters.push([r.i, lo, hi]);
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
  if (history.length > 0) {
    // Every day before a date, per chunk in one aggregate: no per-day OR of the sites first
    // (the days are not shared with another range), about a third less work on long histories.
    // Over all sites, the whole months before the date's month come from the monthly sets
    // (1763700011000) and only that month's days before the date from the daily ones: at most
    // ~30 days' rows, and a row per chunk for each month before (not a row per day, site and
    // chunk since the first day). With a site, that site's every day.
    // A materialized CTE of coordinator tables only, as the days' (no LATERAL: on Citus, next to
    // the distributed events of the edges, that made a statement hundreds of times slower).
    const hs = `unnest(${param(history.map((d) => d[0]), 'int[]')}, ${param(history.map((d) => d[1]), 'date[]')}) AS hs(i, hi)`;
    const rows =
      filter.siteId === undefined
        ? `SELECT hs.i, m.chunk, m.bits FROM ${hs}
           JOIN analytics_monthly_users m ON m.month < date_trunc('month', hs.hi::timestamp)::date
           WHERE m.action = ${actionParam()}
           UNION ALL
           SELECT hs.i, s.chunk, s.bits FROM ${hs}
           JOIN analytics_user_sets s ON s.day < hs.hi AND s.day >= date_trunc('month', hs.hi::timestamp)::date
           WHERE s.action = ${actionParam()}`
        : `SELECT hs.i, s.chunk, s.bits FROM ${hs}
           JOIN analytics_user_sets s ON s.day < hs.hi
           WHERE s.action = ${actionParam()} AND s.site_id = ${siteParam()}`;
    ctes.push(
      `${name}_history AS MATERIALIZED (
         SELECT i, chunk, bit_or(bits) AS bits FROM (${rows}) h GROUP BY i, chunk)`,
    );
    pieces.push(`SELECT i, chunk, bits FROM ${name}_history`);
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
  if (blocks.length > 0) {
    const [i, lo, hi] = [param(blocks.map((b) => b[0]), 'int[]'), param(blocks.map((b) => b[1].toISOString()), 'timestamptz[]'), param(blocks.map((b) => b[2].toISOString()), 'timestamptz[]')];
    // as the hours: an index scan per range of blocks
    pieces.push(
      `SELECT bp.i, b.chunk, b.bits FROM unnest(${i}, ${lo}, ${hi}) AS bp(i, lo, hi) CROSS JOIN LATERAL (
         SELECT b.chunk, b.bits FROM analytics_six_hour_users b WHERE b.action = ${actionParam()} AND b.six_hour >= bp.lo AND b.six_hour < bp.hi OFFSET 0) b`,
    );
  }
  // Edges: the users of the quarter hours (their dense ids, kept by 1763700008000) and of the
  // raw sub-quarter remainders (mapped to their ids), as positions per range and chunk.
  const edges: string[] = [];
  if (quarters.length > 0) {
    const [i, lo, hi] = [param(quarters.map((q) => q[0]), 'int[]'), param(quarters.map((q) => q[1].toISOString()), 'timestamptz[]'), param(quarters.map((q) => q[2].toISOString()), 'timestamptz[]')];
    edges.push(
      `SELECT qp.i, x.uid >> 12 AS chunk, (x.uid & 4095)::smallint AS pos FROM unnest(${i}, ${lo}, ${hi}) AS qp(i, lo, hi)
       CROSS JOIN LATERAL (
         SELECT q.uids FROM analytics_quarter_user_ids q WHERE q.action = ${actionParam()} AND q.quarter >= qp.lo AND q.quarter < qp.hi OFFSET 0) q
       CROSS JOIN LATERAL unnest(q.uids) AS x(uid)`,
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
    edges.push(`SELECT r.i, u.uid >> 12, (u.uid & 4095)::smallint FROM ${ids}`);
  }
  // Only empty ranges: no row.
  if (pieces.length === 0) pieces.push(`SELECT NULL::int, NULL::int, NULL::bit(4096) WHERE false`);
  if (edges.length === 0) edges.push(`SELECT NULL::int, NULL::int, NULL::smallint WHERE false`);
  ctes.push(
    `${name}_whole AS MATERIALIZED (
       SELECT i, chunk, bit_or(bits) AS bits FROM (${pieces.join('\n         UNION ALL\n         ')}) p(i, chunk, bits) GROUP BY i, chunk)`,
    `${name}_edges AS MATERIALIZED (
       SELECT i, chunk, array_agg(pos) AS ps FROM (${edges.join('\n         UNION ALL\n         ')}) e(i, chunk, pos) GROUP BY i, chunk)`,
    // The bitmaps: the whole pieces', with the bits of the edge users not already in them (one
    // 512-byte bitmap per such user: only for the answers that need sets, not counts).
    `${name} AS (
       SELECT i, chunk, bit_or(bits) AS bits FROM (
         SELECT i, chunk, bits FROM ${name}_whole
         UNION ALL
         SELECT e.i, e.chunk, B'1'::bit(4096) >> p FROM ${name}_edges e LEFT JOIN ${name}_whole w ON w.i = e.i AND w.chunk = e.chunk
         CROSS JOIN LATERAL unnest(e.ps) AS p WHERE w.bits IS NULL OR get_bit(w.bits, p) = 0) b
       GROUP BY i, chunk)`,
  );
  return { ctes: ctes.join(',\n       '), params };
}
