import { ApiProperty } from '@nestjs/swagger';
import { TrackedEvent } from '../../domain/tracked-event';

export class EventRecordedResponse {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10' })
  id!: string;
  @ApiProperty({ enum: ['created', 'duplicate'], example: 'created' })
  status!: 'created' | 'duplicate';
  @ApiProperty({
    required: false,
    description:
      'Duplicates only: whether what was sent matches the stored event (user_id, action, site_id, path, metadata, and the ' +
      'timestamp when one was sent without sent_at). false means the event_id was reused for different content; the ' +
      'stored event was kept unchanged.',
  })
  content_matches?: boolean;
}

export class FieldErrorResponse {
  @ApiProperty({ example: 'events[2].action' })
  path!: string;
  @ApiProperty({ example: 'is required' })
  message!: string;
}

export class BatchItemResponse {
  @ApiProperty({ example: 0 })
  index!: number;
  @ApiProperty({ enum: ['created', 'duplicate', 'rejected'] })
  status!: 'created' | 'duplicate' | 'rejected';
  @ApiProperty({ format: 'uuid', required: false })
  id?: string;
  @ApiProperty({ required: false, description: 'Duplicates only: whether what was sent matches the stored event (see POST /api/event).' })
  content_matches?: boolean;
  @ApiProperty({ type: [FieldErrorResponse], required: false })
  errors?: FieldErrorResponse[];
}

export class BatchResponse {
  @ApiProperty({ example: 2 })
  created!: number;
  @ApiProperty({ example: 1 })
  duplicates!: number;
  @ApiProperty({ example: 1 })
  rejected!: number;
  @ApiProperty({ type: [BatchItemResponse] })
  results!: BatchItemResponse[];
}

export class EventResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ type: 'string', nullable: true, example: '321' })
  user_id!: string | null;
  @ApiProperty({ example: 'test_action' })
  action!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T13:07:00.000Z' })
  timestamp!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T13:07:00.412Z' })
  received_at!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { page: '/hello/world' } })
  metadata!: Record<string, unknown>;
  @ApiProperty({ type: 'string', nullable: true })
  site_id!: string | null;
  @ApiProperty({ type: 'string', nullable: true })
  path!: string | null;

  static from(event: TrackedEvent): EventResponse {
    return {
      id: event.id,
      user_id: event.userId,
      action: event.action,
      timestamp: event.occurredAt.toISOString(),
      received_at: event.receivedAt.toISOString(),
      metadata: event.metadata,
      site_id: event.siteId,
      path: event.path,
    };
  }
}

export class EventPageResponse {
  @ApiProperty({ type: [EventResponse] })
  data!: EventResponse[];
  @ApiProperty({ type: 'string', nullable: true, description: 'Pass as cursor for the next page; null on the last page.' })
  next_cursor!: string | null;
}
