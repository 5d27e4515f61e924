import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailedError } from '../../shared/errors';
import { ActivityMetricsRepository, WindowComputation } from '../domain/activity-metrics.repository';
import { Trigger } from '../domain/window-ledger';

export const MAX_BACKFILL_DAYS = 366;

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

  constructor(private readonly metrics: ActivityMetricsRepository) {}

  async execute(command: ComputeActivityMetricsCommand): Promise<ComputeActivityMetricsResult> {
    if (command.range) validateRange(command.range.from, command.range.till);
    const run = this.queue.then(() => this.run(command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run({ trigger, range, now }: ComputeActivityMetricsCommand): Promise<ComputeActivityMetricsResult> {
    const windows = range
      ? await this.metrics.findWindowsInRange(range.from, range.till, now)
      : await this.metrics.findWindowsToCompute(now);
    const computed: WindowComputation[] = [];
    for (const { window, computations } of windows) {
      const result = await this.metrics.computeWindow(window, {
        trigger,
        force: range !== undefined,
        seenComputations: computations,
      });
      if (result) computed.push(result);
    }
    return { windows: computed };
  }
}

export function validateRange(from: Date, till: Date): void {
  if (till <= from) throw new ValidationFailedError([{ path: 'till', message: 'must be after from' }]);
  if (till.getTime() - from.getTime() > MAX_BACKFILL_DAYS * 86_400_000) {
    throw new ValidationFailedError([{ path: 'till', message: `must be at most ${MAX_BACKFILL_DAYS} days after from` }]);
  }
}
