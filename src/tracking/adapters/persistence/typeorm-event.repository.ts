import { Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, WhereExpressionBuilder } from 'typeorm';
import { ReadDatabase } from '../../../shared/database/read-database';
import { EventWriteProjections } from '../../application/event-write-projections';
import { EventFilter, EventQuery, EventRepository, SortOrder } from '../../domain/event.repository';
import { streamRows } from '../../../shared/database/query-stream';
import { TrackedEvent } from '../../domain/tracked-event';
import { EventOrmEntity } from './event.orm-entity';
import { ANONYMOUS_KEY_SQL, EventPartitions } from './event-partitions';

/** SQLSTATE of "no partition of relation … found for row". */
const NO_PARTITION_FOR_ROW = '23514';
const DEADLOCK_DETECTED = '40P01';
const MAX_DEADLOCK_ATTEMPTS = 5;

@Injectable()
export class TypeOrmEventRepository extends EventRepository {
  constructor(
    @InjectRepository(EventOrmEntity) private readonly rows: Repository<EventOrmEntity>,
    private readonly projections: EventWriteProjections = new EventWriteProjections(),
    private readonly partitions: EventPartitions = new EventPartitions(rows.manager.connection),
    /** Where findById and list read (a replica when healthy); without it, `rows`. Writes and findByIds stay on the primary. */
    @Optional() private readonly reads?: ReadDatabase,
  ) {
    super();
  }

  async insertNew(unsorted: TrackedEvent[]): Promise<Set<string>> {
    if (unsorted.length === 0) return new Set();
    // Rows in id order: two concurrent statements that share ids then take their row locks
    // in the same order and cannot deadlock.
    const events = [...unsorted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // One statement for the whole set, and
    // ON CONFLICT DO NOTHING makes a known id a no-op (also under concurrent inserts of the
    // same id: the second waits for the first to commit, then skips). The projections of
    // other modules run as CTEs of the same statement, over the rows actually inserted, so
    // they commit atomically with the events. Autocommit: durable when the promise resolves.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertSorted(events);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === NO_PARTITION_FOR_ROW && attempt === 1) {
          // A week this process believed had a partition lost it (retention, dropped by another
          // process): forget what it knew, make sure again, and write once more.
          this.partitions.forget();
        } else if (code === DEADLOCK_DETECTED && attempt < MAX_DEADLOCK_ATTEMPTS) {
          // The statement was rolled back whole; on Citus concurrent multi-shard writes can be
          // chosen as victims of a distributed deadlock, which its documentation says to retry.
          await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        } else throw error;
      }
    }
  }

  private async insertSorted(events: TrackedEvent[]): Promise<Set<string>> {
    await this.partitions.ensureFor(events.map((e) => e.occurredAt));
    // The whole set travels as one JSON document: one native JSON.stringify in Node and one
    // json_to_recordset in PostgreSQL (measured: clearly cheaper in Node than eight arrays
    // serialised and escaped element by element by the driver).
    const inserted = await this.prepared<{ id: string }>(this.insertStatement(), [JSON.stringify(events satisfies TrackedEvent[])]);
    return new Set(inserted.map((row) => row.id));
  }

  /** The insert statement and its prepared-statement name, built once per set of projections (the registry only grows). */
  private statement?: { projections: number; text: string; name: string };

  private insertStatement(): { text: string; name: string } {
    const projections = this.projections.all();
    if (this.statement?.projections === projections.length) return this.statement;
    const ctes: string[] = [];
    const readToEnd: string[] = [];
    for (const p of projections) {
      for (const [name, sql] of p.before ?? []) ctes.push(`, ${name} AS MATERIALIZED (${sql})`);
      if (p.sql !== undefined) ctes.push(`, ${p.name} AS (${p.sql})`);
      else if (p.sideEffectSql !== undefined) {
        ctes.push(`, ${p.name} AS (${p.sideEffectSql})`);
        readToEnd.push(` CROSS JOIN (SELECT count(*) FROM ${p.name}) AS ${p.name}_done`);
      } else throw new Error(`write projection ${p.name} has no PostgreSQL form`);
    }
    // The ledger `event_ids` takes each id first; only the ids it newly took are stored in
    // `events` (ON CONFLICT DO NOTHING: a known id is a no-op, also under concurrent inserts of
    // the same id — the second waits for the first to commit, then skips).
    const text = `WITH input AS MATERIALIZED (
         SELECT id, coalesce("userId", ${ANONYMOUS_KEY_SQL} || id::text) AS user_key, "userId" AS user_id, action,
                "occurredAt" AS occurred_at, "receivedAt" AS received_at, metadata, "siteId" AS site_id, path
         FROM json_to_recordset($1::json) AS e(id uuid, "userId" text, action text, "occurredAt" timestamptz,
                                                "receivedAt" timestamptz, metadata jsonb, "siteId" text, path text)
       ),
       taken AS (
         INSERT INTO event_ids (id, user_key, occurred_at) SELECT id, user_key, occurred_at FROM input
         ON CONFLICT (id) DO NOTHING
         RETURNING id
       ),
       inserted AS (
         INSERT INTO events (id, user_key, user_id, action, occurred_at, received_at, metadata, site_id, path)
         SELECT i.id, i.user_key, i.user_id, i.action, i.occurred_at, i.received_at, i.metadata, i.site_id, i.path
         FROM input i JOIN taken t ON t.id = i.id
         RETURNING id, user_id, action, occurred_at, site_id, path
       )${ctes.join('')}
       SELECT id FROM inserted${readToEnd.join('')}`;
    // The name follows the text, so a different set of projections (another process, a test)
    // never reuses a plan of another statement.
    this.statement = { projections: projections.length, text, name: `ev_${createHash('sha1').update(text).digest('hex').slice(0, 16)}` };
    return this.statement;
  }

  /**
   * Runs a statement as a named prepared statement on the primary's pool: each connection
   * parses, analyses and plans it once, then only executes it. The insert statement with its
   * projections' CTEs is long; preparing it each time cost about as much as executing it for a
   * group of a dozen events (measured: 2.7 → 1.5–1.8 ms of wall time per statement; see
   * bench/README.md). A dropped or added partition invalidates the plans (PostgreSQL replans
   * after DDL on a table the statement uses).
   */
  private async prepared<T>({ name, text }: { name: string; text: string }, values: unknown[]): Promise<T[]> {
    // A repository bound to a transaction (its manager has a query runner) must write in it.
    const pool = (this.rows.manager.connection.driver as unknown as { master?: PreparingPool }).master;
    if (!pool || this.rows.manager.queryRunner) return this.rows.query(text, values);
    const result = await pool.query({ name, text, values });
    return result.rows as T[];
  }

  async findById(id: string): Promise<TrackedEvent | null> {
    // Read-your-writes: an event acknowledged a moment ago may not have reached the replica
    // yet, so a miss there is asked again of the primary (events never change once stored).
    const [event] = await this.read((repo) => this.findByIdsOn(repo, [id]), (found) => found.length === 0);
    return event ?? null;
  }

  /**
   * Two steps: the ledger names each event's user and time, then the events are read by their
   * own key — on Citus each step goes to the shards that hold the rows (the ledger is
   * distributed by id, events by user), and the time prunes the partitions.
   */
  async findByIds(ids: string[]): Promise<TrackedEvent[]> {
    return this.findByIdsOn(this.rows, ids);
  }

  private async findByIdsOn(repo: Repository<EventOrmEntity>, ids: string[]): Promise<TrackedEvent[]> {
    if (ids.length === 0) return [];
    // The time travels as text: a Date would drop the microseconds of an event stored by other
    // means than this service (the upgrade copies such rows), and then match nothing.
    const keys: Array<{ id: string; user_key: string; occurred_at: string }> = await repo.query(
      'SELECT id, user_key, occurred_at::text AS occurred_at FROM event_ids WHERE id = ANY($1::uuid[])',
      [ids],
    );
    if (keys.length === 0) return [];
    const rows = await repo
      .createQueryBuilder('e')
      .where(
        `(e.user_key, e.occurred_at, e.id) IN (SELECT * FROM unnest(:keys::text[], :times::timestamptz[], :ids::uuid[]))`,
        { keys: keys.map((k) => k.user_key), times: keys.map((k) => k.occurred_at), ids: keys.map((k) => k.id) },
      )
      .getMany();
    return rows.map(toEvent);
  }

  async list(query: EventQuery): Promise<TrackedEvent[]> {
    return this.read((repo) => this.listOn(repo, query));
  }

  private async listOn(repo: Repository<EventOrmEntity>, query: EventQuery): Promise<TrackedEvent[]> {
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const qb = filtered(repo.createQueryBuilder('e'), query);
    if (query.after) {
      qb.andWhere(`(e.occurred_at, e.id) ${query.order === 'asc' ? '>' : '<'} (:afterAt, :afterId)`, {
        afterAt: query.after.occurredAt,
        afterId: query.after.id,
      });
    }
    const rows = await qb
      .orderBy('e.occurred_at', direction)
      .addOrderBy('e.id', direction)
      .limit(query.limit)
      .getMany();
    return rows.map(toEvent);
  }

  async *export(query: EventFilter & { order: SortOrder }): AsyncGenerator<TrackedEvent> {
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const [sql, params] = filtered(this.rows.createQueryBuilder('e'), query)
      .select('e.id', 'id')
      .addSelect(['e.user_id AS user_id', 'e.action AS action', 'e.occurred_at AS occurred_at', 'e.received_at AS received_at'])
      .addSelect(['e.metadata AS metadata', 'e.site_id AS site_id', 'e.path AS path'])
      .orderBy('e.occurred_at', direction)
      .addOrderBy('e.id', direction)
      .getQueryAndParameters();
    type Row = { id: string; user_id: string | null; action: string; occurred_at: Date; received_at: Date; metadata: Record<string, unknown>; site_id: string | null; path: string | null };
    for await (const row of streamRows<Row>(this.reads ?? ReadDatabase.primaryOnly(this.rows.manager.connection), sql, params)) {
      yield {
        id: row.id,
        userId: row.user_id,
        action: row.action,
        occurredAt: row.occurred_at,
        receivedAt: row.received_at,
        metadata: row.metadata,
        siteId: row.site_id,
        path: row.path,
      };
    }
  }

  /** Runs a read on ReadDatabase's choice (a replica, or the primary), or on `rows` when none is wired. */
  private read<T>(run: (rows: Repository<EventOrmEntity>) => Promise<T>, retryOnPrimary?: (result: T) => boolean): Promise<T> {
    if (!this.reads) return run(this.rows);
    return this.reads.read((db: DataSource) => run(db.getRepository(EventOrmEntity)), retryOnPrimary);
  }
}

/** The slice of node-postgres' Pool this repository uses for prepared statements. */
interface PreparingPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The filter's conditions on a query of `events` aliased `e` (listing and export share them). */
function filtered<Q extends WhereExpressionBuilder>(qb: Q, query: EventFilter): Q {
  // An identified user's key is their id (the distribution column on Citus: one shard). The
  // user_id test too: a user id some ingestion route let through as "\x01<uuid>" equals the
  // key of the anonymous event with that id, which is not theirs.
  if (query.userId !== undefined) qb.andWhere('e.user_key = :userId AND e.user_id = :userId', { userId: query.userId });
  if (query.action !== undefined) qb.andWhere('e.action = :action', { action: query.action });
  if (query.siteId !== undefined) qb.andWhere('e.site_id = :siteId', { siteId: query.siteId });
  if (query.from) qb.andWhere('e.occurred_at >= :from', { from: query.from });
  if (query.till) qb.andWhere('e.occurred_at < :till', { till: query.till });
  return qb;
}

function toEvent(row: EventOrmEntity): TrackedEvent {
  return {
    id: row.id,
    userId: row.userId,
    action: row.action,
    occurredAt: row.occurredAt,
    receivedAt: row.receivedAt,
    metadata: row.metadata,
    siteId: row.siteId,
    path: row.path,
  };
}
