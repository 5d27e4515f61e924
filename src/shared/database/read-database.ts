import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { isDatabaseUnavailable } from './database-errors';
import { dataSourceOptions } from './data-source-options';
import { LagClock, parseLsn } from './replica-lag';

/** healthy: serves reads; lagging: further behind than READ_MAX_LAG_MS; down: unreachable; not_standby: not in recovery; starting: not checked yet. */
export type ReplicaState = 'starting' | 'healthy' | 'lagging' | 'down' | 'not_standby';

export interface ReplicaStatus {
  /** host:port/database of the replica (never its credentials). */
  name: string;
  state: ReplicaState;
  /** Milliseconds behind the primary at the last check; null when unknown. */
  lagMs: number | null;
  /** Bytes of WAL still to replay at the last check; null when unknown. */
  lagBytes: number | null;
  /** Why it is down or not a standby. */
  error?: string;
  checkedAt: Date | null;
}

export type ReadTarget = 'replica' | 'primary';
/** Why a read went to the primary after a replica: the row was missing there (read-your-writes), or the replica failed. */
export type FallbackReason = 'miss' | 'error';

export interface ReadDatabaseOptions {
  maxLagMs: number;
  checkIntervalMs: number;
  applicationName?: string;
  log?: Pick<Logger, 'log' | 'warn'>;
}

/** SQLSTATEs of a query that a hot standby cancelled (conflict with recovery): the primary can answer it. */
const RECOVERY_CONFLICTS = new Set(['40001', '40P01']);

interface Replica {
  status: ReplicaStatus;
  url: string;
  dataSource: DataSource;
  initializing?: Promise<void>;
}

/**
 * Where reads that tolerate replication lag run: a healthy streaming replica (round robin)
 * from DATABASE_READ_URLS, or the primary when none is configured or none is healthy.
 * A replica is checked every READ_CHECK_INTERVAL_MS; one that is unreachable, not a standby
 * or further behind than READ_MAX_LAG_MS is skipped until a check finds it healthy again.
 * A read that fails on a replica because the replica is unavailable is answered by the
 * primary (and the replica is skipped at once). Writes, the metrics job and key lookups never
 * come here: they use the primary DataSource directly.
 */
export class ReadDatabase implements OnModuleInit, OnModuleDestroy {
  private readonly replicas: Replica[];
  private readonly clock = new LagClock();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private checking: Promise<void> | undefined;
  /** Told of every read: where it ran and, for a second attempt on the primary, why. */
  onRead: (target: ReadTarget, fallback?: FallbackReason) => void = () => undefined;

  constructor(
    private readonly primary: DataSource,
    replicaUrls: string[],
    private readonly options: ReadDatabaseOptions,
  ) {
    const names = replicaUrls.map(replicaName);
    this.replicas = replicaUrls.map((url, i) => ({
      url,
      status: {
        name: names.indexOf(names[i]) === i ? names[i] : `${names[i]}#${i + 1}`,
        state: 'starting',
        lagMs: null,
        lagBytes: null,
        checkedAt: null,
      },
      dataSource: new DataSource(<PostgresConnectionOptions>{
        ...dataSourceOptions(url, options.applicationName ?? 'tracking-service-read'),
        entities: primary.options.entities,
        // A standby is read-only: never try CREATE EXTENSION there.
        installExtensions: false,
        // A failing replica is reported by its state (logged on change), not by every query that met it.
        logging: false,
        // A replica that does not answer must not hold a read long: the primary answers instead.
        extra: { ...(dataSourceOptions(url).extra as object), application_name: options.applicationName ?? 'tracking-service-read', connectionTimeoutMillis: 1000 },
      }),
    }));
  }

  /** Reads always go to the primary (no replicas): for tests and tools that build adapters by hand. */
  static primaryOnly(primary: DataSource): ReadDatabase {
    return new ReadDatabase(primary, [], { maxLagMs: 0, checkIntervalMs: 0 });
  }

  get configured(): boolean {
    return this.replicas.length > 0;
  }

  /** Every configured replica's state as of its last check. */
  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({ ...r.status }));
  }

  /**
   * Runs a read on a healthy replica, or on the primary when there is none. When the
   * replica fails for want of availability, or `retryOnPrimary` says the answer may be
   * stale (e.g. a row just written is not there yet), the primary answers instead.
   */
  async read<T>(run: (db: DataSource) => Promise<T>, retryOnPrimary?: (result: T) => boolean): Promise<T> {
    const replica = this.pick();
    if (!replica) {
      this.onRead('primary');
      return run(this.primary);
    }
    let result: T;
    try {
      result = await run(replica.dataSource);
    } catch (error) {
      if (!isReplicaFailure(error)) throw error;
      if (isDatabaseUnavailable(error)) this.markDown(replica, error);
      this.onRead('primary', 'error');
      return run(this.primary);
    }
    if (retryOnPrimary?.(result)) {
      this.onRead('primary', 'miss');
      return run(this.primary);
    }
    this.onRead('replica');
    return result;
  }

  async onModuleInit(): Promise<void> {
    if (!this.configured) return;
    // The first check before the first request, but a slow replica must not hold up the start.
    await Promise.race([this.checkAll(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.checking?.catch(() => undefined);
    await Promise.all(this.replicas.map((r) => (r.dataSource.isInitialized ? r.dataSource.destroy().catch(() => undefined) : undefined)));
  }

  /** Measures every replica now (the periodic check calls this). */
  checkAll(): Promise<void> {
    if (!this.checking) {
      this.checking = this.measure().finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.checkAll().finally(() => this.schedule());
    }, this.options.checkIntervalMs);
    this.timer.unref();
  }

  private pick(): Replica | undefined {
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const replica = this.replicas[(this.next + i) % n];
      if (replica.status.state === 'healthy' && replica.dataSource.isInitialized) {
        this.next = (this.next + i + 1) % n;
        return replica;
      }
    }
    return undefined;
  }

  private async measure(): Promise<void> {
    try {
      // Sampled before the replicas, so a replica is never counted behind a position it could not have seen.
      const [{ lsn }]: Array<{ lsn: string }> = await this.primary.query('SELECT pg_current_wal_lsn()::text AS lsn');
      this.clock.sample(parseLsn(lsn), Date.now());
    } catch {
      // The primary is unreachable: the replicas are measured against the last position known.
    }
    const replayed = await Promise.all(this.replicas.map((r) => this.measureReplica(r)));
    const known = replayed.filter((lsn): lsn is bigint => lsn !== undefined);
    if (known.length > 0) this.clock.prune(known.reduce((a, b) => (a < b ? a : b)));
  }

  /** Checks one replica and returns the WAL position it has replayed, when it answered. */
  private async measureReplica(replica: Replica): Promise<bigint | undefined> {
    const previous = replica.status.state;
    try {
      if (!replica.dataSource.isInitialized) {
        replica.initializing ??= replica.dataSource.initialize().then(
          () => undefined,
          (error) => {
            replica.initializing = undefined;
            throw error;
          },
        );
        await replica.initializing;
      }
      const [row]: Array<{ standby: boolean; replayed: string | null }> = await withTimeout(
        replica.dataSource.query('SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed'),
        Math.max(1000, this.options.checkIntervalMs),
      );
      const now = Date.now();
      if (!row.standby || row.replayed === null) {
        this.update(replica, { state: 'not_standby', lagMs: null, lagBytes: null, error: 'not a streaming standby (pg_is_in_recovery() is false)' }, previous);
        return undefined;
      }
      const replayedLsn = parseLsn(row.replayed);
      const lagMs = this.clock.lagMs(replayedLsn, now);
      this.update(replica, { state: lagMs > this.options.maxLagMs ? 'lagging' : 'healthy', lagMs, lagBytes: this.clock.lagBytes(replayedLsn) }, previous);
      return replayedLsn;
    } catch (error) {
      this.update(replica, { state: 'down', lagMs: null, lagBytes: null, error: describe(error) }, previous);
      return undefined;
    }
  }

  private markDown(replica: Replica, error: unknown): void {
    this.update(replica, { state: 'down', lagMs: null, lagBytes: null, error: describe(error) }, replica.status.state);
  }

  private update(replica: Replica, next: Omit<ReplicaStatus, 'name' | 'checkedAt'>, previous: ReplicaState): void {
    replica.status = { name: replica.status.name, ...next, checkedAt: new Date() };
    if (next.state === previous) return;
    const log = this.options.log;
    if (next.state === 'healthy') log?.log(`read replica ${replica.status.name} serves reads (lag ${next.lagMs} ms)`);
    else if (next.state === 'lagging') log?.warn(`read replica ${replica.status.name} skipped: ${next.lagMs} ms behind, more than READ_MAX_LAG_MS ${this.options.maxLagMs}`);
    else if (next.state !== 'starting') log?.warn(`read replica ${replica.status.name} skipped: ${next.error}`);
  }
}

function isReplicaFailure(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const code = (error as { code?: unknown; driverError?: { code?: unknown } })?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && RECOVERY_CONFLICTS.has(code);
}

function replicaName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'replica';
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200) || 'unreachable';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
