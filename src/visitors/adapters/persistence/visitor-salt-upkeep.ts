import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
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
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly salts: VisitorSalts) {}

  onApplicationBootstrap(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), UPKEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; a failure is logged and the next pass tries again. */
  runOnce(now: Date = new Date()): Promise<void> {
    this.running ??= this.salts
      .forgetBefore(utcDay(now))
      .then((deleted) => void (deleted > 0 && this.logger.log(`deleted ${deleted} past day(s)' visitor salt`)))
      .catch((error: Error) => this.logger.error(`visitor salt upkeep failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
