import { Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { ReadDatabase } from '../../../shared/database/read-database';
import { EventWriteProjections } from '../../application/event-write-projections';
import { EventQuery, EventRepository } from '../../domain/event.repository';
import { TrackedEvent } from '../../domain/tracked-event';
import { EventOrmEntity } from './event.orm-entity';

@Injectable()
export class TypeOrmEventRepository extends EventRepository {
  constructor(
    @InjectRepository(EventOrmEntity) private readonly rows: Repository<EventOrmEntity>,
    private readonly projections: EventWriteProjections = new EventWriteProjections(),
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
    const ctes: string[] = [];
    const readToEnd: string[] = [];
    for (const p of this.projections.all()) {
      if (p.sql !== undefined) ctes.push(`, ${p.name} AS (${p.sql})`);
      else if (p.sideEffectSql !== undefined) {
        ctes.push(`, ${p.name} AS (${p.sideEffectSql})`);
        readToEnd.push(` CROSS JOIN (SELECT count(*) FROM ${p.name}) AS ${p.name}_done`);
      } else throw new Error(`write projection ${p.name} has no PostgreSQL form`);
    }
    // The whole set travels as one JSON document: one native JSON.stringify in Node and one
    // json_to_recordset in PostgreSQL (measured: clearly cheaper in Node than eight arrays
    // serialised and escaped element by element by the driver).
    const inserted: Array<{ id: string }> = await this.rows.query(
      `WITH inserted AS (
         INSERT INTO events (id, user_id, action, occurred_at, received_at, metadata, site_id, path)
         SELECT id, "userId", action, "occurredAt", "receivedAt", metadata, "siteId", path
         FROM json_to_recordset($1::json) AS e(id uuid, "userId" text, action text, "occurredAt" timestamptz,
                                                "receivedAt" timestamptz, metadata jsonb, "siteId" text, path text)
         ON CONFLICT (id) DO NOTHING
         RETURNING id, user_id, action, occurred_at, site_id, path
       )${ctes.join('')}
       SELECT id FROM inserted${readToEnd.join('')}`,
      [JSON.stringify(events satisfies TrackedEvent[])],
    );
    return new Set(inserted.map((row) => row.id));
  }

  async findById(id: string): Promise<TrackedEvent | null> {
    // Read-your-writes: an event acknowledged a moment ago may not have reached the replica
    // yet, so a miss there is asked again of the primary (events never change once stored).
    const row = await this.read((repo) => repo.findOneBy({ id }), (found) => found === null);
    return row ? toEvent(row) : null;
  }

  async findByIds(ids: string[]): Promise<TrackedEvent[]> {
    if (ids.length === 0) return [];
    return (await this.rows.findBy({ id: In(ids) })).map(toEvent);
  }

  async list(query: EventQuery): Promise<TrackedEvent[]> {
    return this.read((repo) => this.listOn(repo, query));
  }

  private async listOn(repo: Repository<EventOrmEntity>, query: EventQuery): Promise<TrackedEvent[]> {
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const qb = repo.createQueryBuilder('e');
    if (query.userId !== undefined) qb.andWhere('e.user_id = :userId', { userId: query.userId });
    if (query.action !== undefined) qb.andWhere('e.action = :action', { action: query.action });
    if (query.siteId !== undefined) qb.andWhere('e.site_id = :siteId', { siteId: query.siteId });
    if (query.from) qb.andWhere('e.occurred_at >= :from', { from: query.from });
    if (query.till) qb.andWhere('e.occurred_at < :till', { till: query.till });
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

  /** Runs a read on ReadDatabase's choice (a replica, or the primary), or on `rows` when none is wired. */
  private read<T>(run: (rows: Repository<EventOrmEntity>) => Promise<T>, retryOnPrimary?: (result: T) => boolean): Promise<T> {
    if (!this.reads) return run(this.rows);
    return this.reads.read((db: DataSource) => run(db.getRepository(EventOrmEntity)), retryOnPrimary);
  }
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
