import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '../../../shared/periodic-task';
import { EventRetention } from '../../application/event-retention';
import { EventPartitions } from './event-partitions';

/** Weeks of partitions kept ready ahead of the current one. */
export const WEEKS_AHEAD = 4;
const UPKEEP_EVERY_MS = 60 * 60 * 1000;
/**
 * A partition is dropped one day after its end has passed the retention period, so an event
 * accepted just inside the period (checked at its receipt) never lands in a partition being dropped.
 */
const DROP_MARGIN_MS = 86_400_000;

/**
 * Partition upkeep, in every process (the DDL is serialised by an advisory lock, and each step is
 * idempotent): at start and then hourly, the coming weeks get their partitions, and with
 * EVENTS_RETENTION_DAYS the weeks past it are dropped whole. Metrics and rollups the dropped
 * events fed stay.
 */
export class EventPartitionUpkeep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventPartitions');
  private readonly task = new PeriodicTask(
    UPKEEP_EVERY_MS,
    (now) => this.upkeep(now),
    (error) => this.logger.error(`partition upkeep failed: ${error.message}`),
  );

  constructor(
    private readonly partitions: EventPartitions,
    private readonly retention: EventRetention,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runOnce();
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** One pass; failures are logged and retried at the next pass. */
  runOnce(now: Date = new Date()): Promise<void> {
    return this.task.runOnce(now);
  }

  private async upkeep(now: Date): Promise<void> {
    await this.partitions.ensureAhead(now, WEEKS_AHEAD);
    const earliest = this.retention.earliestAt(now);
    if (!earliest) return;
    const dropped = await this.partitions.dropEndingBy(new Date(earliest.getTime() - DROP_MARGIN_MS));
    for (const p of dropped) {
      this.logger.log(`dropped ${p.name} (events of ${p.from.toISOString().slice(0, 10)} to ${p.till.toISOString().slice(0, 10)}): past EVENTS_RETENTION_DAYS=${this.retention.days}`);
    }
  }
}
