import { Module } from '@nestjs/common';
import { CollectController } from './ports/http/collect.controller';
import { TrackerScriptController } from './ports/http/tracker-script.controller';

/** Our browser tracker: the script at /t.js and the route it sends to, POST /api/collect, mapped onto the native RecordEventsCommand. */
@Module({ controllers: [TrackerScriptController, CollectController] })
export class TrackerModule {}
