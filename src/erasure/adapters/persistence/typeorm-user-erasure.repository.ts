import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ActivityWindow, WINDOW_MS } from '../../../metrics/domain/activity-window';
import { WINDOW_LOCK_NAMESPACE } from '../../../shared/database/advisory-locks';
import { ErasureOutcome, ErasureRecord, UserErasureRepository } from '../../domain/user-erasure';

/**
 * Every statement of a user erasure, in one place and one transaction.
 *
 * Concurrency. Ingestion takes no per-user lock, and the rollups are maintained by the
 * statement that stores events: an event of the user committed while the erasure runs could
 * set a bit the erasure then clears, or keep a user id the erasure deleted. So the erasure
 * first takes SHARE ROW EXCLUSIVE on events: it waits for the writers in flight to commit,
 * then holds every writer (and any other erasure) off until it commits — every event stored
 * before is visible to the statements below and removed, every event after finds the user
 * erased and starts afresh. The metric windows it changes are locked like a computation locks
 * them (the per-window advisory lock), so a computation either ran before and its rows are
 * removed here, or runs after and no longer sees the user's events. Statements are separate
 * and pass small aggregates through parameters (no joins between distributed tables, no
 * modifying CTE across tables), so the same code can run on Citus.
 */
@Injectable()
export class TypeOrmUserErasureRepository extends UserErasureRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  async erase(userId: string, record: ErasureRecord): Promise<ErasureOutcome> {
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE');
      const deleted = await deleteEvents(tx, userId);
      // The idempotency ledger: a second statement, not a join (on Citus it is distributed by id).
      if (deleted.ids.length > 0) await tx.query('DELETE FROM event_ids WHERE id = ANY($1::uuid[])', [deleted.ids]);
      await subtractCounters(tx, deleted);
      await clearUserBit(tx, userId);
      const { metricRows, windows } = await removeMetrics(tx, userId, deleted.windows);
      await tx.query(
        `INSERT INTO user_erasures (id, erased_at, user_hash, events, metric_rows, windows, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [record.id, record.erasedAt, record.userHash, deleted.ids.length, metricRows, windows, record.requestedBy],
      );
      return { events: deleted.ids.length, metricRows, windows };
    });
  }
}

interface DeletedEvents {
  ids: string[];
  /** Per UTC day, site and action: how many events the daily action counters lose. */
  actions: Array<{ day: string; site_id: string | null; action: string; n: number }>;
  /** Per UTC day, site and path: the page views the daily path counters lose. */
  paths: Array<{ day: string; site_id: string | null; path: string; n: number }>;
  /** The same per UTC hour, for the hourly counters. */
  hourly_actions: Array<{ hour: string; site_id: string | null; action: string; n: number }>;
  hourly_paths: Array<{ hour: string; site_id: string | null; path: string; n: number }>;
  /** Per 4-hour window: the events its ledger version loses. */
  windows: Array<{ window_start: string; n: number }>;
}

/**
 * Deletes the user's events (by user_key, their distribution column on Citus: one shard; an
 * anonymous event's key is never a user id, and `user_id IS NOT NULL` makes sure of it);
 * returns their ids and what each rollup counted of them.
 */
async function deleteEvents(tx: EntityManager, userId: string): Promise<DeletedEvents> {
  const [row]: DeletedEvents[] = await tx.query(
    `WITH deleted AS (
       DELETE FROM events WHERE user_key = $1 AND user_id IS NOT NULL
       RETURNING id, (occurred_at AT TIME ZONE 'UTC')::date AS day,
                 date_bin('1 hour', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS hour, occurred_at, site_id, action, path
     )
     SELECT
       (SELECT coalesce(json_agg(id), '[]') FROM deleted) AS ids,
       (SELECT coalesce(json_agg(a), '[]') FROM
          (SELECT day, site_id, action, count(*)::int AS n FROM deleted GROUP BY 1, 2, 3) a) AS actions,
       (SELECT coalesce(json_agg(p), '[]') FROM
          (SELECT day, site_id, path, count(*)::int AS n FROM deleted
           WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3) p) AS paths,
       (SELECT coalesce(json_agg(a), '[]') FROM
          (SELECT hour, site_id, action, count(*)::int AS n FROM deleted GROUP BY 1, 2, 3) a) AS hourly_actions,
       (SELECT coalesce(json_agg(p), '[]') FROM
          (SELECT hour, site_id, path, count(*)::int AS n FROM deleted
           WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3) p) AS hourly_paths,
       (SELECT coalesce(json_agg(w), '[]') FROM
          (SELECT date_bin(interval '${WINDOW_MS / 1000} seconds', occurred_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS window_start,
                  count(*)::int AS n
           FROM deleted GROUP BY 1) w) AS windows`,
    [userId],
  );
  return row;
}

/** Takes the deleted events out of the daily and hourly counters; a counter that reaches 0 goes. */
async function subtractCounters(tx: EntityManager, deleted: DeletedEvents): Promise<void> {
  const counters = [
    { table: 'analytics_daily_actions', period: 'day date', key: 'action', count: 'events', rows: deleted.actions },
    { table: 'analytics_daily_paths', period: 'day date', key: 'path', count: 'views', rows: deleted.paths },
    { table: 'analytics_hourly_actions', period: 'hour timestamptz', key: 'action', count: 'events', rows: deleted.hourly_actions },
    { table: 'analytics_hourly_paths', period: 'hour timestamptz', key: 'path', count: 'views', rows: deleted.hourly_paths },
  ];
  for (const { table, period, key, count, rows } of counters) {
    if (rows.length === 0) continue;
    const column = period.split(' ')[0];
    const matches = `c.${column} = d.${column} AND c.site_id IS NOT DISTINCT FROM d.site_id AND c.${key} = d.${key}`;
    const source = `json_to_recordset($1::json) AS d(${period}, site_id text, ${key} text, n bigint)`;
    await tx.query(`UPDATE ${table} c SET ${count} = c.${count} - d.n FROM ${source} WHERE ${matches}`, [JSON.stringify(rows)]);
    await tx.query(`DELETE FROM ${table} c USING ${source} WHERE ${matches} AND c.${count} <= 0`, [JSON.stringify(rows)]);
  }
}

/**
 * Forgets the user's dense id and clears its bit from every user set of its chunk, and its id
 * from every quarter hour's ids — all days, also those whose events retention has dropped. A set
 * left empty goes.
 */
async function clearUserBit(tx: EntityManager, userId: string): Promise<void> {
  const users = await returning<{ uid: number }>(tx, 'DELETE FROM analytics_users WHERE user_id = $1 RETURNING uid', [userId]);
  if (users.length === 0) return;
  const uid = users[0].uid;
  const [chunk, bit] = [Math.floor(uid / 4096), uid % 4096];
  for (const table of ['analytics_user_sets', 'analytics_hourly_user_sets', 'analytics_hourly_users', 'analytics_six_hour_users', 'analytics_monthly_users']) {
    await tx.query(`UPDATE ${table} SET bits = set_bit(bits, $2, 0) WHERE chunk = $1 AND get_bit(bits, $2) = 1`, [chunk, bit]);
    await tx.query(`DELETE FROM ${table} WHERE chunk = $1 AND bit_count(bits) = 0`, [chunk]);
  }
  // The quarter-hour ids (1763700008000): the id out of every array of its block.
  await tx.query(`DELETE FROM analytics_quarter_user_ids WHERE block = $1 AND uids = ARRAY[$2::int]`, [uid >> 16, uid]);
  await tx.query(`UPDATE analytics_quarter_user_ids SET uids = array_remove(uids, $2::int) WHERE block = $1 AND uids @> ARRAY[$2::int]`, [uid >> 16, uid]);
}

/**
 * Deletes the user's metric rows and takes them out of the ledger of their windows:
 * `version` loses the deleted events, `computed_version` those of them the computation had
 * counted, so a window is stale afterwards exactly when someone else wrote into it since it
 * was computed. A window left with no computed user is pending again (as if computed
 * never); one left with no event at all leaves the ledger, as if the user had never written.
 */
async function removeMetrics(
  tx: EntityManager,
  userId: string,
  deletedWindows: DeletedEvents['windows'],
): Promise<{ metricRows: number; windows: number }> {
  const stored: Array<{ window_start: Date }> = await tx.query(
    'SELECT window_start FROM user_activity_metrics WHERE user_id = $1',
    [userId],
  );
  const starts = new Set<number>([
    ...deletedWindows.map((w) => new Date(w.window_start).getTime()),
    ...stored.map((r) => r.window_start.getTime()),
  ]);
  if (starts.size === 0) return { metricRows: 0, windows: 0 };
  // All in one statement (one round trip per window cost a user of 180 windows 90 ms of held
  // writers). No deadlock: a computation holds one window lock at a time and takes no other
  // lock the erasure holds; erasures are serialised by the table lock.
  const indexes = [...starts].sort((a, b) => a - b).map((start) => ActivityWindow.startingAt(new Date(start)).index);
  await tx.query('SELECT count(pg_advisory_xact_lock($1, w)) FROM unnest($2::int[]) AS w', [WINDOW_LOCK_NAMESPACE, indexes]);
  // Read under the locks: a computation that ran meanwhile may have written a row for the user.
  const removed = await returning<{ window_start: Date; event_count: number }>(
    tx,
    'DELETE FROM user_activity_metrics WHERE user_id = $1 RETURNING window_start, event_count',
    [userId],
  );
  const perWindow = new Map<number, { n: number; m: number; had_row: boolean }>();
  for (const start of starts) perWindow.set(start, { n: 0, m: 0, had_row: false });
  for (const w of deletedWindows) perWindow.get(new Date(w.window_start).getTime())!.n = w.n;
  for (const r of removed) Object.assign(perWindow.get(r.window_start.getTime())!, { m: r.event_count, had_row: true });
  const changes = [...perWindow].map(([start, c]) => ({ window_start: new Date(start).toISOString(), ...c }));

  const touched = await returning<{ window_start: Date; version: string; users: number | null }>(
    tx,
    `UPDATE metric_windows w SET
       version = greatest(w.version - d.n, 0),
       computed_version = CASE WHEN w.computed_version IS NULL THEN NULL
                               ELSE greatest(w.computed_version - least(d.m, d.n), 0) END,
       users = CASE WHEN d.had_row AND w.users IS NOT NULL THEN greatest(w.users - 1, 0) ELSE w.users END,
       events = CASE WHEN d.had_row AND w.events IS NOT NULL THEN greatest(w.events - d.m, 0) ELSE w.events END
     FROM json_to_recordset($1::json) AS d(window_start timestamptz, n bigint, m bigint, had_row boolean)
     WHERE w.window_start = d.window_start
     RETURNING w.window_start, w.version, w.users`,
    [JSON.stringify(changes)],
  );
  const emptied = touched.filter((w) => Number(w.version) === 0).map((w) => w.window_start);
  if (emptied.length > 0) {
    // Rows of other users keep a window in the ledger (events written around the ledger).
    const occupied: Array<{ window_start: Date }> = await tx.query(
      'SELECT DISTINCT window_start FROM user_activity_metrics WHERE window_start = ANY($1::timestamptz[])',
      [emptied],
    );
    const keep = new Set(occupied.map((r) => r.window_start.getTime()));
    const gone = emptied.filter((start) => !keep.has(start.getTime()));
    if (gone.length > 0) await tx.query('DELETE FROM metric_windows WHERE window_start = ANY($1::timestamptz[])', [gone]);
  }
  const nobodyLeft = touched.filter((w) => Number(w.version) > 0 && w.users === 0).map((w) => w.window_start);
  if (nobodyLeft.length > 0) {
    await tx.query(
      `UPDATE metric_windows SET computed_version = NULL, users = NULL, events = NULL, computed_at = NULL,
                                 trigger = NULL, duration_ms = NULL
       WHERE window_start = ANY($1::timestamptz[])`,
      [nobodyLeft],
    );
  }
  return { metricRows: removed.length, windows: touched.length };
}

/** The rows of an UPDATE or DELETE … RETURNING (EntityManager.query pairs them with the row count). */
async function returning<T>(tx: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  return (await tx.queryRunner!.query(sql, params, true)).records as T[];
}
