import { Module } from '@nestjs/common';
import { UmamiController } from './ports/http/umami.controller';

/** Umami's collection API (POST /api/send) mapped onto the native RecordEventsCommand. */
@Module({ controllers: [UmamiController] })
export class UmamiModule {}
