import { Module } from '@nestjs/common';
import { TypeOrmAnalyticsReadModel } from './adapters/persistence/typeorm-analytics.read-model';
import { AnalyticsReadModel } from './application/analytics.read-model';
import { GetActiveUsersHandler } from './application/get-active-users';
import { GetOverviewHandler } from './application/get-overview';
import { AnalyticsController } from './ports/http/analytics.controller';

/** Read-only analytics: active users and the overview. */
@Module({
  controllers: [AnalyticsController],
  providers: [GetActiveUsersHandler, GetOverviewHandler, { provide: AnalyticsReadModel, useClass: TypeOrmAnalyticsReadModel }],
})
export class AnalyticsModule {}
