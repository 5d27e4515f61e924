import { Module, OnModuleInit } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventPartitions } from './adapters/persistence/event-partitions';
import { EventPartitionUpkeep } from './adapters/persistence/event-partition-upkeep';
import { EventRetention } from './application/event-retention';
import { TypeOrmEventRepository } from './adapters/persistence/typeorm-event.repository';
import { EventOrmEntity } from './adapters/persistence/event.orm-entity';
import { AppConfig } from '../config';
import { DEFAULT_GROUP_COMMIT, GroupCommitEventRepository } from './adapters/persistence/group-commit-event.repository';
import { EventWriteProjections } from './application/event-write-projections';
import { EventWriteQueue } from './application/event-write-queue';
import { GetEventHandler } from './application/get-event';
import { ListEventsHandler } from './application/list-events';
import { ExportEventsHandler } from './application/export-events';
import { RecordEventsHandler } from './application/record-events';
import { ValidateEventHandler } from './application/validate-event';
import { EventRepository } from './domain/event.repository';
import { EventsController } from './ports/http/events.controller';
import { LiveEventsController } from './ports/http/live-events.controller';
import { LiveEventFeed } from './application/live-event-feed';
import { LIVE_NOTIFY_PROJECTION } from './adapters/persistence/live-notify.projection';
import { PgLiveEventFeed } from './adapters/persistence/pg-live-event.feed';

@Module({
  imports: [TypeOrmModule.forFeature([EventOrmEntity])],
  controllers: [EventsController, LiveEventsController],
  providers: [
    RecordEventsHandler,
    GetEventHandler,
    ListEventsHandler,
    ExportEventsHandler,
    ValidateEventHandler,
    EventWriteProjections,
    { provide: EventRetention, useFactory: (config: AppConfig) => new EventRetention(config.eventsRetentionDays), inject: [AppConfig] },
    { provide: EventPartitions, useFactory: (db: DataSource) => new EventPartitions(db), inject: [getDataSourceToken()] },
    { provide: EventPartitionUpkeep, useFactory: (p: EventPartitions, r: EventRetention) => new EventPartitionUpkeep(p, r), inject: [EventPartitions, EventRetention] },
    TypeOrmEventRepository,
    // Every write goes through group commit; reads go straight to PostgreSQL.
    {
      provide: GroupCommitEventRepository,
      useFactory: (postgres: TypeOrmEventRepository, config: AppConfig) =>
        new GroupCommitEventRepository(postgres, { ...DEFAULT_GROUP_COMMIT, maxQueuedEvents: config.writeQueueMaxEvents }),
      inject: [TypeOrmEventRepository, AppConfig],
    },
    { provide: EventRepository, useExisting: GroupCommitEventRepository },
    { provide: EventWriteQueue, useExisting: GroupCommitEventRepository },
    // One LISTEN connection per process, opened by the first live stream.
    { provide: LiveEventFeed, useFactory: PgLiveEventFeed.fromConfig, inject: [EventRepository, AppConfig] },
  ],
  exports: [EventRepository, EventWriteQueue, EventWriteProjections, LiveEventFeed, EventPartitions, EventPartitionUpkeep],
})
export class TrackingModule implements OnModuleInit {
  constructor(private readonly projections: EventWriteProjections) {}

  onModuleInit(): void {
    // Every event write announces the ids it stored to the live feeds of all replicas.
    this.projections.register(LIVE_NOTIFY_PROJECTION);
  }
}
