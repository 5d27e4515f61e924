import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { streamRows } from '../../../shared/database/query-stream';
import { ReadDatabase } from '../../../shared/database/read-database';
import { DataSource } from 'typeorm';
import {
  ActivityMetricsRepository,
  ComputeOptions,
  MetricsQuery,
  StoredUserActivity,
  WindowComputation,
  WindowsQuery,
} from '../../domain/activity-metrics.repository';
import { ActivityWindow } from '../../domain/activity-window';
import { needsComputation, Trigger, WindowCandidate, WindowLedgerEntry } from '../../domain/window-ledger';
import { WINDOW_LOCK_NAMESPACE } from '../../../shared/database/advisory-locks';
import { WINDOW_INTERVAL, windowEndOf } from './window-sql';


/**
 * The metrics of API.md for every user of one window, in one set-based statement with a
 * single sort: each event's gap to the user's previous event (lag over user, time) is all
 * the session rule needs — an event starts a session when it has no predecessor or its gap
 * is over 30 minutes, and a user's active time, the sum over sessions of (last − first), is
 * exactly the sum of the gaps that did not start a session. Sums are additive, so they are
 * taken per (user, action) first and then per user, next to the action counts.
 * Measured against the first version (sessions numbered by a running sum, then grouped
 * twice and joined): about half the time per window. $1 window start, $2 end, $3 computed_at.
 */
// Users are grouped by `user_key` (equal to user_id for identified users): on Citus it is the
// distribution column, so the window function and the grouping run on each shard.
export const USER_ACTIVITY_SQL = `
  WITH gaps AS (
    SELECT user_key AS user_id, action, occurred_at,
           occurred_at - lag(occurred_at) OVER (PARTITION BY user_key ORDER BY occurred_at) AS gap
    FROM events
    WHERE occurred_at >= $1 AND occurred_at < $2 AND user_id IS NOT NULL
  ),
  per_action AS (
    SELECT user_id, action, count(*)::int AS n, min(occurred_at) AS first_at, max(occurred_at) AS last_at,
           count(*) FILTER (WHERE gap IS NULL OR gap > interval '30 minutes')::int AS session_starts,
           sum(gap) FILTER (WHERE gap <= interval '30 minutes') AS active
    FROM gaps GROUP BY user_id, action
  )
  SELECT user_id, sum(n) AS event_count, count(*) AS distinct_actions, json_object_agg(action, n) AS action_counts,
         min(first_at) AS first_event_at, max(last_at) AS last_event_at, sum(session_starts) AS session_count,
         coalesce(round(extract(epoch FROM sum(active)) * 1000), 0) AS active_ms
  FROM per_action GROUP BY user_id`;

/**
 * Run in the computing transaction before USER_ACTIVITY_SQL. The planner cannot estimate how
 * many users a window holds (it assumes 200 groups), so once work_mem is raised above the 4 MB
 * default (bench:metrics runs 64 MB, a common tuning) it picks hash aggregates: they spill to
 * disk and emit users in hash order, which scatters the inserts over both metric indexes.
 * Grouping by sorting reuses the session sort (user, time) and hands the rows over in user order,
 * so the index inserts stay local, whatever work_mem is. Measured on the busiest window of
 * bench:metrics (64 k events, 42 k users) at 64 MB: SELECT 240 → 198 ms, whole INSERT 631 →
 * 481 ms; at 4 MB the plan (and time) is unchanged; a quiet window is no slower.
 */
export const COMPUTE_PLAN_SETTINGS = 'SET LOCAL enable_hashagg = off';

/**
 * Replaces nothing by itself: the caller deletes the window's rows first, in the same transaction.
 * The columns are named, the parameters typed and the target aliased: Citus loses the subquery's
 * alias in the shard queries when the select list is `$1, m.*`, and the table's name in RETURNING
 * when the target has no alias ("missing FROM-clause entry").
 */
const COMPUTE_WINDOW_SQL = `
  WITH stored AS (
    INSERT INTO user_activity_metrics AS u (window_start, user_id, event_count, distinct_actions, action_counts,
                                            first_event_at, last_event_at, session_count, active_ms, computed_at)
    SELECT $1::timestamptz, m.user_id, m.event_count, m.distinct_actions, m.action_counts, m.first_event_at,
           m.last_event_at, m.session_count, m.active_ms, $3::timestamptz
    FROM (${USER_ACTIVITY_SQL}) m
    RETURNING u.event_count
  )
  SELECT count(*)::int AS users, coalesce(sum(event_count), 0)::int AS events FROM stored`;

interface LedgerRow {
  window_start: Date;
  version: string;
  computed_version: string | null;
  users: number | null;
  events: number | null;
  computed_at: Date | null;
  trigger: Trigger | null;
  duration_ms: number | null;
  computations: number;
}

@Injectable()
export class TypeOrmActivityMetricsRepository extends ActivityMetricsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    /** Where listMetrics and listWindows read (a replica when healthy); the computation stays on the primary. */
    @Optional() private readonly reads: ReadDatabase = ReadDatabase.primaryOnly(db),
  ) {
    super();
  }

  /** The read routes' statements: on a healthy replica, or the primary (see ReadDatabase). */
  private readonly readDb = { query: <T>(sql: string, params: unknown[]): Promise<T> => this.reads.read((db) => db.query(sql, params)) };

  async findWindowsToCompute(now: Date): Promise<WindowCandidate[]> {
    const rows: Array<{ window_start: Date; computations: number }> = await this.db.query(
      `SELECT window_start, computations FROM metric_windows
       WHERE (computed_version IS NULL OR computed_version < version)
         AND ${windowEndOf('window_start')} <= $1
       ORDER BY window_start`,
      [now],
    );
    return rows.map(toCandidate);
  }

  async findWindowsInRange(from: Date, till: Date, now: Date): Promise<WindowCandidate[]> {
    // The ledger names every window that has (or had) events of identified users — every write
    // marks it in the statement that stores the events — and the metric rows every window
    // computed. No correlated subquery: Citus refuses one over two distributed tables.
    const rows: Array<{ window_start: Date; computations: number }> = await this.db.query(
      `SELECT w.window_start, coalesce(m.computations, 0) AS computations
       FROM (SELECT window_start FROM metric_windows WHERE window_start >= $1 AND window_start < $2
             UNION
             SELECT DISTINCT window_start FROM user_activity_metrics WHERE window_start >= $1 AND window_start < $2) w
       LEFT JOIN metric_windows m ON m.window_start = w.window_start
       WHERE ${windowEndOf('w.window_start')} <= $3
       ORDER BY w.window_start`,
      [ActivityWindow.containing(from).start, till, now],
    );
    return rows.map(toCandidate);
  }

  async computeWindow(window: ActivityWindow, options: ComputeOptions): Promise<WindowComputation | null> {
    return this.db.transaction(async (tx) => {
      // Serialises computations of this window across every process on this database.
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [WINDOW_LOCK_NAMESPACE, window.index]);
      const started = Date.now();
      // Read the version BEFORE the events: an event committed after this point may or may not
      // be computed, but either way the ledger will show a newer version than computed_version.
      const [entry]: LedgerRow[] = await tx.query(
        'SELECT version, computed_version, computations, computed_at FROM metric_windows WHERE window_start = $1',
        [window.start],
      );
      const ledger = entry
        ? {
            version: Number(entry.version),
            computedVersion: nullableNumber(entry.computed_version),
            computations: entry.computations,
            computedAt: entry.computed_at,
          }
        : null;
      if (!needsComputation(ledger, options)) return null;
      const version = ledger?.version ?? 0;

      await tx.query('DELETE FROM user_activity_metrics WHERE window_start = $1', [window.start]);
      await tx.query(COMPUTE_PLAN_SETTINGS);
      const computedAt = new Date();
      const [{ users, events }]: Array<{ users: number; events: number }> = await tx.query(COMPUTE_WINDOW_SQL, [
        window.start,
        window.end,
        computedAt,
      ]);
      if (users === 0) {
        // The window has no events any more: it leaves the ledger unless a write raced in.
        await tx.query('DELETE FROM metric_windows WHERE window_start = $1 AND version = $2', [window.start, version]);
      } else {
        await tx.query(
          `INSERT INTO metric_windows AS w (window_start, version, computed_version, users, events, computed_at,
                                            trigger, duration_ms, computations)
           VALUES ($1, $2, $2, $3, $4, $5, $6, $7, 1)
           ON CONFLICT (window_start) DO UPDATE SET
             computed_version = $2, users = $3, events = $4, computed_at = $5, trigger = $6,
             duration_ms = $7, computations = w.computations + 1`,
          [window.start, version, users, events, computedAt, options.trigger, Date.now() - started],
        );
      }
      return { window, users, events };
    });
  }

  async listMetrics(query: MetricsQuery): Promise<StoredUserActivity[]> {
    const { sql, params } = metricsSql(query);
    const rows: MetricRow[] = await this.readDb.query(sql, params);
    return rows.map(toStoredActivity);
  }

  async *exportMetrics(query: Omit<MetricsQuery, 'limit' | 'after'>): AsyncGenerator<StoredUserActivity> {
    const { sql, params } = metricsSql(query);
    for await (const row of streamRows<MetricRow>(this.reads, sql, params)) yield toStoredActivity(row);
  }

  async listWindows(query: WindowsQuery): Promise<WindowLedgerEntry[]> {
    const { where, params, param } = sqlFilter();
    if (query.from) where.push(`window_start > ${param(query.from)}::timestamptz - ${WINDOW_INTERVAL}`);
    if (query.till) where.push(`window_start < ${param(query.till)}`);
    const desc = query.order === 'desc';
    if (query.afterWindowStart) where.push(`window_start ${desc ? '<' : '>'} ${param(query.afterWindowStart)}`);
    if (query.status) {
      where.push(`CASE WHEN ${windowEndOf('window_start')} > ${param(query.now)} THEN 'open'
                       WHEN computed_version IS NULL THEN 'pending'
                       WHEN computed_version < version THEN 'stale'
                       ELSE 'computed' END = ${param(query.status)}`);
    }
    const rows: LedgerRow[] = await this.readDb.query(
      `SELECT * FROM metric_windows ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY window_start ${desc ? 'DESC' : 'ASC'} LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map((row) => ({
      window: ActivityWindow.startingAt(row.window_start),
      version: Number(row.version),
      computedVersion: nullableNumber(row.computed_version),
      users: row.users,
      events: row.events,
      computedAt: row.computed_at,
      trigger: row.trigger,
      durationMs: row.duration_ms,
      computations: row.computations,
    }));
  }
}

/** Collects WHERE clauses with numbered parameters. */
function sqlFilter() {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  return { where, params, param };
}

interface MetricRow {
  window_start: Date;
  user_id: string;
  event_count: number;
  distinct_actions: number;
  action_counts: Record<string, number>;
  first_event_at: Date;
  last_event_at: Date;
  session_count: number;
  active_ms: string;
  computed_at: Date;
}

/** The metric rows of a query in (window_start, user_id) order; with a limit (a page) or without (an export). */
function metricsSql(query: Omit<MetricsQuery, 'limit' | 'after'> & Partial<Pick<MetricsQuery, 'limit' | 'after'>>): { sql: string; params: unknown[] } {
  const { where, params, param } = sqlFilter();
  if (query.userId !== undefined) where.push(`user_id = ${param(query.userId)}`);
  if (query.from) where.push(`window_start > ${param(query.from)}::timestamptz - ${WINDOW_INTERVAL}`);
  if (query.till) where.push(`window_start < ${param(query.till)}`);
  if (query.after) where.push(`(window_start, user_id) > (${param(query.after.windowStart)}, ${param(query.after.userId)})`);
  const sql = `SELECT * FROM user_activity_metrics
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY window_start, user_id${query.limit === undefined ? '' : `
       LIMIT ${param(query.limit)}`}`;
  return { sql, params };
}

function toStoredActivity(row: MetricRow): StoredUserActivity {
  return {
    window: ActivityWindow.startingAt(row.window_start),
    userId: row.user_id,
    eventCount: row.event_count,
    distinctActions: row.distinct_actions,
    actionCounts: row.action_counts,
    firstEventAt: row.first_event_at,
    lastEventAt: row.last_event_at,
    sessionCount: row.session_count,
    activeMs: Number(row.active_ms),
    computedAt: row.computed_at,
  };
}

function toCandidate(row: { window_start: Date; computations: number }): WindowCandidate {
  return { window: ActivityWindow.startingAt(row.window_start), computations: row.computations };
}

function nullableNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}

