import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '../../../shared/periodic-task';
import { utcDay } from '../../domain/anonymous-visitor';
import { VisitorSalts } from '../../domain/visitor-salts';

const UPKEEP_EVERY_MS = 5 * 60 * 1000;

/**
 * Deletes the salts of past days every few minutes in every process (an idempotent DELETE on a
 * table of a row or two), so a day's salt does not outlive the day by more than that even when
 * no visitor comes the next day to replace it: an anonymous id can then no longer be
 * recomputed from an address and a user agent.
 */
@Injectable()
export class VisitorSaltUpkeep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('VisitorSalts');
  private readonly task = new PeriodicTask(
    UPKEEP_EVERY_MS,
    async (now) => {
      const deleted = await this.salts.forgetBefore(utcDay(now));
      if (deleted > 0) this.logger.log(`deleted ${deleted} past day(s)' visitor salt`);
    },
    (error) => this.logger.error(`visitor salt upkeep failed: ${error.message}`),
  );

  constructor(private readonly salts: VisitorSalts) {}

  onApplicationBootstrap(): void {
    void this.runOnce();
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** One pass; a failure is logged and the next pass tries again. */
  runOnce(now: Date = new Date()): Promise<void> {
    return this.task.runOnce(now);
  }
}
