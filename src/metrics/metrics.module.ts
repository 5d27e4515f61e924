import { Module, OnModuleInit } from '@nestjs/common';
import { EventWriteProjections } from '../tracking/application/event-write-projections';
import { TrackingModule } from '../tracking/tracking.module';
import { TypeOrmActivityMetricsRepository } from './adapters/persistence/typeorm-activity-metrics.repository';
import { WINDOW_MARKING_PROJECTION } from './adapters/persistence/window-marking.projection';
import { ComputeActivityMetricsHandler } from './application/compute-activity-metrics';
import { ListMetricsHandler } from './application/list-metrics';
import { ExportMetricsHandler } from './application/export-metrics';
import { ListWindowsHandler } from './application/list-windows';
import { ActivityMetricsRepository } from './domain/activity-metrics.repository';
import { MetricsCron } from './ports/cron/metrics.cron';
import { MetricsController } from './ports/http/metrics.controller';

/**
 * The 4-hour activity metrics. The HTTP controller and the cron trigger live here; the CLI
 * boots the same module in an application context (no HTTP server, cron disabled).
 */
@Module({
  imports: [TrackingModule],
  controllers: [MetricsController],
  providers: [
    MetricsCron,
    ComputeActivityMetricsHandler,
    ListMetricsHandler,
    ExportMetricsHandler,
    ListWindowsHandler,
    { provide: ActivityMetricsRepository, useClass: TypeOrmActivityMetricsRepository },
  ],
})
export class MetricsModule implements OnModuleInit {
  constructor(private readonly projections: EventWriteProjections) {}

  onModuleInit(): void {
    // Every event write marks its windows in the ledger, in the same statement.
    this.projections.register(WINDOW_MARKING_PROJECTION);
  }
}
