import { Module } from '@nestjs/common';
import { PlausibleController } from './ports/http/plausible.controller';

/** Plausible's events endpoint (POST /plausible/api/event) mapped onto the native RecordEventsCommand. */
@Module({ controllers: [PlausibleController] })
export class PlausibleModule {}
