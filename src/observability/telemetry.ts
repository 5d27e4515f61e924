import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ReadDatabase } from '../shared/database/read-database';
import { EventWriteQueue } from '../tracking/application/event-write-queue';
import { LiveEventFeed } from '../tracking/application/live-event-feed';

/** The Prometheus registry of this process and every metric the service exports. */
@Injectable()
export class Telemetry {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'tracking_events_total',
    help: 'Events by outcome: created, duplicate (already stored), rejected (invalid).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly batchSizes = new Histogram({
    name: 'tracking_batch_size_events',
    help: 'Events per request to POST /api/events/batch.',
    buckets: [1, 10, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  readonly computations = new Counter({
    name: 'metrics_computations_total',
    help: 'Runs of the 4-hour metrics command, by trigger.',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly computedWindows = new Counter({
    name: 'metrics_windows_computed_total',
    help: 'Windows computed by the metrics command, by trigger.',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly computationDuration = new Histogram({
    name: 'metrics_computation_duration_seconds',
    help: 'Duration of runs of the 4-hour metrics command, by trigger.',
    labelNames: ['trigger'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly botEventsIgnored = new Counter({
    name: 'tracking_bot_events_ignored_total',
    help: 'Events of browser routes (our tracker, Plausible, Umami from a browser) not stored because the user agent is a bot, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly liveDropped = new Counter({
    name: 'live_dropped_total',
    help: 'Live event streams closed because their client read too slowly (more than LIVE_MAX_BUFFER_BYTES unsent).',
    registers: [this.registry],
  });

  constructor(
    @InjectDataSource() dataSource: DataSource,
    writeQueue: EventWriteQueue,
    liveFeed: LiveEventFeed,
    @Optional() reads?: ReadDatabase,
  ) {
    collectDefaultMetrics({ register: this.registry });
    if (reads) this.registerReadReplicas(reads);
    new Gauge({
      name: 'tracking_write_queue_events',
      help: 'Events accepted and not yet committed (queued or being written by group commit).',
      registers: [this.registry],
      collect() {
        this.set(writeQueue.depth);
      },
    });
    new Gauge({
      name: 'live_clients',
      help: 'Open live event streams (GET /api/events/live) on this process.',
      registers: [this.registry],
      collect() {
        this.set(liveFeed.subscribers);
      },
    });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state: total, idle, and requests waiting for one.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = (dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
        if (!pool) return;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  /** Reads by where they ran, and every read replica's state and lag (DATABASE_READ_URLS). */
  private registerReadReplicas(reads: ReadDatabase): void {
    const served = new Counter({
      name: 'db_reads_total',
      help: 'Reads of the read routes by where they were answered: replica, or primary (no healthy replica, or a fallback).',
      labelNames: ['target'] as const,
      registers: [this.registry],
    });
    const fallbacks = new Counter({
      name: 'db_read_fallbacks_total',
      help: 'Reads asked again of the primary after a replica: miss (GET /api/events/{id} not on the replica yet), error (replica unavailable).',
      labelNames: ['reason'] as const,
      registers: [this.registry],
    });
    reads.onRead = (target, fallback) => {
      served.inc({ target });
      if (fallback) fallbacks.inc({ reason: fallback });
    };
    if (!reads.configured) return;
    new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'Replication lag of each read replica at its last check (absent while it is unreachable).',
      labelNames: ['replica'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const r of reads.status()) if (r.lagMs !== null) this.set({ replica: r.name }, r.lagMs / 1000);
      },
    });
    new Gauge({
      name: 'db_replica_lag_bytes',
      help: 'WAL bytes each read replica had still to replay at its last check (absent while it is unreachable).',
      labelNames: ['replica'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const r of reads.status()) if (r.lagBytes !== null) this.set({ replica: r.name }, r.lagBytes);
      },
    });
    new Gauge({
      name: 'db_replica_healthy',
      help: 'Whether each read replica serves reads (1), or is skipped (0: down, further behind than READ_MAX_LAG_MS, or not a standby).',
      labelNames: ['replica', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const r of reads.status()) this.set({ replica: r.name, state: r.state }, r.state === 'healthy' ? 1 : 0);
      },
    });
  }
}
