import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { AccessModule } from './access/access.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { CompatModule } from './compat/compat.module';
import { SegmentModule } from './segment/segment.module';
import { PosthogModule } from './posthog/posthog.module';
import { TrackerModule } from './tracker/tracker.module';
import { UmamiModule } from './umami/umami.module';
import { PlausibleModule } from './plausible/plausible.module';
import { VisitorsModule } from './visitors/visitors.module';
import { ErasureModule } from './erasure/erasure.module';
import { AppConfig } from './config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ObservabilityModule } from './observability/observability.module';
import { DatabaseModule, DatabaseModuleOptions } from './shared/database/database.module';
import { ExportGate } from './shared/http/export-stream';
import { ProblemDetailsFilter } from './shared/http/problem-details.filter';
import { DtoValidationPipe } from './shared/http/validate';
import { loggingParams } from './shared/logging';
import { TrackingModule } from './tracking/tracking.module';

/** The composition root: the one place that decides which modules and adapters run. */
@Module({})
export class AppModule {
  /**
   * `http: false` is the CLI's composition: the same modules and command handlers, without
   * the health endpoints (no HTTP server runs).
   */
  static forRoot(config: AppConfig, options: DatabaseModuleOptions & { http?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config, options),
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        AccessModule,
        TrackingModule,
        MetricsModule,
        AnalyticsModule,
        CompatModule,
        SegmentModule,
        PosthogModule,
        TrackerModule,
        UmamiModule,
        PlausibleModule,
        VisitorsModule,
        ErasureModule,
        ...(options.http === false ? [] : [LoggerModule.forRoot(loggingParams(config)), HealthModule, ObservabilityModule]),
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        // One cap for every export route of the process (each export holds a database connection).
        { provide: ExportGate, useValue: new ExportGate(config.exportMaxConcurrent) },
        { provide: APP_PIPE, useClass: DtoValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
      exports: [AppConfig, ExportGate],
    };
  }
}
