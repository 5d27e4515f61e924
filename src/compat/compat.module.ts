import { Module } from '@nestjs/common';
import { IngestionReportingController } from './ports/http/ingestion-reporting.controller';
import { EventStatsController } from './ports/http/event-stats.controller';
import { SummaryController } from './ports/http/summary.controller';
import { UserLoginsController } from './ports/http/user-logins.controller';

/**
 * Drop-in routes of the systems in seeds/, each with its own shapes and error formats,
 * mapped onto the native commands and queries: one storage path, one set of rules.
 */
@Module({
  controllers: [UserLoginsController, IngestionReportingController, SummaryController, EventStatsController],
})
export class CompatModule {}
