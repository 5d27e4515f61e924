import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../../../config';
import { ComputeActivityMetricsCommand } from '../../application/compute-activity-metrics';

export const METRICS_CRON_JOB = 'compute-activity-metrics';

/**
 * The in-process trigger: dispatches the same command as HTTP and the CLI on METRICS_CRON
 * (default one minute past every 4th hour). Turn it off with METRICS_CRON_ENABLED=false where
 * a Kubernetes CronJob runs the CLI instead; running both is still correct, only redundant.
 */
@Injectable()
export class MetricsCron implements OnApplicationBootstrap {
  private readonly logger = new Logger('MetricsCron');

  constructor(
    private readonly config: AppConfig,
    private readonly commands: CommandBus,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.metricsCronEnabled) return;
    const job = CronJob.from({
      cronTime: this.config.metricsCron,
      timeZone: 'UTC',
      onTick: () => this.run(),
      waitForCompletion: true,
    });
    this.scheduler.addCronJob(METRICS_CRON_JOB, job);
    job.start();
    this.logger.log(`metrics job scheduled: "${this.config.metricsCron}" (UTC)`);
  }

  async run(): Promise<void> {
    try {
      const { windows } = await this.commands.execute(new ComputeActivityMetricsCommand('cron'));
      this.logger.log(`computed ${windows.length} window(s)`);
    } catch (error) {
      this.logger.error(`metrics job failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
