import { Logger } from '@nestjs/common';
import { Command, CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailedError } from '../../shared/errors';
import { assertTimeRange } from '../../shared/time-range';
import { ActivityMetricsRepository, WindowComputation } from '../domain/activity-metrics.repository';
import { Trigger } from '../domain/window-ledger';
import { ActivityMetricsComputed } from './activity-metrics-computed.event';

export const MAX_BACKFILL_DAYS = 366;
/** Windows computed at once within one run (each holds one database connection). */
export const WINDOW_CONCURRENCY = 2;

export interface ComputeActivityMetricsResult {
  /** The windows this run computed (not those it skipped). */
  windows: WindowComputation[];
}

/**
 * Computes the 4-hour activity metrics. Without a range: every ended window that is pending
 * or stale (the previous window after a normal tick, missed ones, late events). With a
 * range: a backfill of every ended window overlapping it, whatever its state. Cron, HTTP and
 * CLI all dispatch this one command.
 */
export class ComputeActivityMetricsCommand extends Command<ComputeActivityMetricsResult> {
  constructor(
    readonly trigger: Trigger,
    readonly range?: { from: Date; till: Date },
    readonly now: Date = new Date(),
  ) {
    super();
  }
}

@CommandHandler(ComputeActivityMetricsCommand)
export class ComputeActivityMetricsHandler
  implements ICommandHandler<ComputeActivityMetricsCommand, ComputeActivityMetricsResult>
{
  /**
   * Runs of this process queue here instead of each holding a database connection while it
   * waits for a window lock: a burst of triggers cannot drain the pool that event writes need.
   * Runs in other processes are still serialised per window by the repository's locks.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger = new Logger('ComputeActivityMetrics');

  constructor(
    private readonly metrics: ActivityMetricsRepository,
    private readonly bus?: EventBus,
  ) {}

  async execute(command: ComputeActivityMetricsCommand): Promise<ComputeActivityMetricsResult> {
    if (command.range) validateRange(command.range.from, command.range.till);
    // A backfill skips windows computed from now on (by runs queued ahead of it, or elsewhere).
    const requestedAt = new Date();
    const run = this.queue.then(() => this.run(command, requestedAt));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run({ trigger, range, now }: ComputeActivityMetricsCommand, requestedAt: Date): Promise<ComputeActivityMetricsResult> {
    const started = Date.now();
    const windows = range
      ? await this.metrics.findWindowsInRange(range.from, range.till, now)
      : await this.metrics.findWindowsToCompute(now);
    // Windows are independent (each has its own lock and transaction), so a run computes
    // WINDOW_CONCURRENCY of them at once: on a 2-core database a 30-day backfill takes
    // about half as long as one window after the other.
    const computed: WindowComputation[] = [];
    let next = 0;
    const worker = async () => {
      while (next < windows.length) {
        const { window, computations } = windows[next++];
        const result = await this.metrics.computeWindow(window, {
          trigger,
          force: range !== undefined,
          seenComputations: computations,
          requestedAt,
        });
        if (result) computed.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WINDOW_CONCURRENCY, windows.length) }, worker));
    computed.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
    this.bus?.publish(new ActivityMetricsComputed(trigger, computed.length, Date.now() - started));
    this.logger.log(`${trigger} run: computed ${computed.length} of ${windows.length} window(s) in ${Date.now() - started} ms`);
    return { windows: computed };
  }
}

export function validateRange(from: Date, till: Date): void {
  assertTimeRange(from, till);
  if (till.getTime() - from.getTime() > MAX_BACKFILL_DAYS * 86_400_000) {
    throw new ValidationFailedError([{ path: 'till', message: `must be at most ${MAX_BACKFILL_DAYS} days after from` }]);
  }
}
