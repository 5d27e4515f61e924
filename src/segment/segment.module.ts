import { Module } from '@nestjs/common';
import { SegmentController } from './ports/http/segment.controller';

/** Segment's HTTP Tracking API (/v1/batch, /v1/track, …) mapped onto the native RecordEventsCommand. */
@Module({ controllers: [SegmentController] })
export class SegmentModule {}
