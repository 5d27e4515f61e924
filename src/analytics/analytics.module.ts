import { Module, OnModuleInit } from '@nestjs/common';
import { EventWriteProjections } from '../tracking/application/event-write-projections';
import { TrackingModule } from '../tracking/tracking.module';
import { ANALYTICS_ROLLUP_PROJECTION } from './adapters/persistence/rollups.projection';
import { TypeOrmAnalyticsReadModel } from './adapters/persistence/typeorm-analytics.read-model';
import { AnalyticsReadModel } from './application/analytics.read-model';
import { GetActiveUsersHandler } from './application/get-active-users';
import { GetOverviewHandler } from './application/get-overview';
import { GetRetentionHandler } from './application/get-retention';
import { AnalyticsController } from './ports/http/analytics.controller';

/** Analytics: active users (and stickiness), the overview and retention cohorts, answered from rollups kept in step with every event write. */
@Module({
  imports: [TrackingModule],
  controllers: [AnalyticsController],
  providers: [GetActiveUsersHandler, GetOverviewHandler, GetRetentionHandler, { provide: AnalyticsReadModel, useClass: TypeOrmAnalyticsReadModel }],
})
export class AnalyticsModule implements OnModuleInit {
  constructor(private readonly projections: EventWriteProjections) {}

  onModuleInit(): void {
    // Every event write updates the rollups, in the same statement.
    this.projections.register(ANALYTICS_ROLLUP_PROJECTION);
  }
}
