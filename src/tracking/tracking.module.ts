import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TypeOrmEventRepository } from './adapters/persistence/typeorm-event.repository';
import { EventOrmEntity } from './adapters/persistence/event.orm-entity';
import { AppConfig } from '../config';
import { DEFAULT_GROUP_COMMIT, GroupCommitEventRepository } from './adapters/persistence/group-commit-event.repository';
import { EventWriteProjections } from './application/event-write-projections';
import { EventWriteQueue } from './application/event-write-queue';
import { GetEventHandler } from './application/get-event';
import { ListEventsHandler } from './application/list-events';
import { RecordEventsHandler } from './application/record-events';
import { ValidateEventHandler } from './application/validate-event';
import { EventRepository } from './domain/event.repository';
import { EventsController } from './ports/http/events.controller';

@Module({
  imports: [TypeOrmModule.forFeature([EventOrmEntity])],
  controllers: [EventsController],
  providers: [
    RecordEventsHandler,
    GetEventHandler,
    ListEventsHandler,
    ValidateEventHandler,
    EventWriteProjections,
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
  ],
  exports: [EventRepository, EventWriteQueue, EventWriteProjections],
})
export class TrackingModule {}
