import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TypeOrmEventRepository } from './adapters/persistence/typeorm-event.repository';
import { EventOrmEntity } from './adapters/persistence/event.orm-entity';
import { EventWriteProjections } from './adapters/persistence/event-write-projections';
import { GetEventHandler } from './application/get-event';
import { ListEventsHandler } from './application/list-events';
import { RecordEventsHandler } from './application/record-events';
import { EventRepository } from './domain/event.repository';
import { EventsController } from './ports/http/events.controller';

@Module({
  imports: [TypeOrmModule.forFeature([EventOrmEntity])],
  controllers: [EventsController],
  providers: [
    RecordEventsHandler,
    GetEventHandler,
    ListEventsHandler,
    EventWriteProjections,
    { provide: EventRepository, useClass: TypeOrmEventRepository },
  ],
  exports: [EventRepository, EventWriteProjections],
})
export class TrackingModule {}
