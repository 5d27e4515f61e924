import { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05 was a Monday: weeks are counted from there. */
const MONDAY_EPOCH_MS = 4 * DAY_MS;

/** Prefix of the `user_key` of anonymous events (E'\x01' || id): user ids are printable ASCII, so it names no user. */
export const ANONYMOUS_KEY_SQL = `E'\\x01'`;

/** Monday 00:00 UTC of the week holding `t`. */
export function weekStart(t: Date): Date {
  return new Date(Math.floor((t.getTime() - MONDAY_EPOCH_MS) / WEEK_MS) * WEEK_MS + MONDAY_EPOCH_MS);
}

/** events_pYYYYMMDD, after the Monday the partition starts on. */
export function partitionName(week: Date): string {
  return `events_p${week.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** Serialises partition DDL across the processes on one database. */
const PARTITION_LOCK_KEY = 7_318_200_002;

/** The names of `events`' partitions, in name (= time) order. */
async function partitionNames(db: { query(sql: string): Promise<Array<{ name: string }>> }): Promise<string[]> {
  const rows = await db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'events'::regclass ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}

export interface PartitionInfo {
  name: string;
  from: Date;
  till: Date;
}

/**
 * The weekly partitions of `events` (PARTITION BY RANGE (occurred_at), one per ISO week from
 * Monday 00:00 UTC). A write first makes sure the weeks of its events have a partition —
 * checked against what this process already knows, so the common case costs nothing; a week
 * not seen yet (a new week, a backfill of old events) is created once, under an advisory lock,
 * by whichever process needs it first. Upkeep creates the coming weeks ahead of time and drops
 * whole weeks past the retention period. The same DDL runs on Citus, where a new partition of
 * a distributed table is distributed with it.
 */
export class EventPartitions {
  private readonly known = new Set<number>();

  constructor(private readonly db: DataSource) {}

  /** Forgets which weeks have a partition: the next write checks the catalog again. */
  forget(): void {
    this.known.clear();
  }

  /** Makes sure every instant has a partition. */
  async ensureFor(instants: readonly Date[]): Promise<void> {
    const missing = new Set<number>();
    for (const t of instants) {
      const week = weekStart(t).getTime();
      if (!this.known.has(week)) missing.add(week);
    }
    if (missing.size === 0) return;
    await this.create([...missing].map((w) => new Date(w)));
  }

  /** Creates the partitions of the weeks from the one holding `now` to `weeksAhead` weeks after it. */
  async ensureAhead(now: Date, weeksAhead: number): Promise<void> {
    const first = weekStart(now).getTime();
    await this.create(Array.from({ length: weeksAhead + 1 }, (_, i) => new Date(first + i * WEEK_MS)));
  }

  /** The partitions that exist, oldest first. */
  async list(): Promise<PartitionInfo[]> {
    return (await partitionNames(this.db)).flatMap((name) => {
      const m = /^events_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) return [];
      const from = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
      return [{ name, from, till: new Date(from.getTime() + WEEK_MS) }];
    });
  }

  /**
   * Drops every partition that ends at or before `horizon`, and the ledger rows of its events
   * (an id of a dropped event may then be used again; events older than the retention period
   * are refused at ingestion, so a late retry of one is refused rather than stored twice).
   * Returns the partitions dropped.
   */
  async dropEndingBy(horizon: Date): Promise<PartitionInfo[]> {
    const old = (await this.list()).filter((p) => p.till <= horizon);
    const dropped: PartitionInfo[] = [];
    for (const partition of old) {
      await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
        // The ledger rows of the partition's events, by primary key (on Citus the ledger is
        // distributed by id and the partition by user, so no join: the ids travel through here).
        // Keyset over (occurred_at, id); the time travels as text to keep its microseconds.
        let after: { at: string; id: string } | undefined;
        for (;;) {
          const page: Array<{ at: string; id: string }> = await tx.query(
            `SELECT occurred_at::text AS at, id FROM ${partition.name}
             ${after ? 'WHERE (occurred_at, id) > ($1::timestamptz, $2::uuid)' : ''} ORDER BY occurred_at, id LIMIT 10000`,
            after ? [after.at, after.id] : [],
          );
          if (page.length === 0) break;
          await tx.query('DELETE FROM event_ids WHERE id = ANY($1::uuid[])', [page.map((r) => r.id)]);
          after = page[page.length - 1];
        }
        await tx.query(`DROP TABLE IF EXISTS ${partition.name}`);
      });
      this.known.delete(partition.from.getTime());
      dropped.push(partition);
    }
    return dropped;
  }

  private async create(weeks: Date[]): Promise<void> {
    weeks.sort((a, b) => a.getTime() - b.getTime());
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const existing = new Set(await partitionNames(tx));
      for (const week of weeks) {
        const name = partitionName(week);
        if (!existing.has(name)) {
          const till = new Date(week.getTime() + WEEK_MS);
          await tx.query(
            `CREATE TABLE ${name} PARTITION OF events FOR VALUES FROM ('${week.toISOString()}') TO ('${till.toISOString()}')`,
          );
        }
      }
    });
    for (const week of weeks) this.known.add(week.getTime());
  }
}
