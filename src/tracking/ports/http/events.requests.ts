import { RejectsUnknownFields } from '../../../shared/http/openapi';
import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { ExportFormatQueryDto } from '../../../shared/http/export-stream';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { RangePageQueryDto } from '../../../shared/http/page-query.requests';
import { findUnstorableText } from '../../../shared/http/validate';
import { parseInstant } from '../../../shared/time';
import { IsIsoInstant, IsJsonObject, IsUserId } from '../../../shared/http/validators';

export const METADATA_MAX_BYTES = 16 * 1024;

const EVENT_FIELDS = new Set(['event_id', 'user_id', 'action', 'timestamp', 'sent_at', 'metadata', 'site_id', 'path']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ascii = (min: number, max: number) => new RegExp(`^[\\x20-\\x7e]{${min},${max}}$`);
const USER_ID = ascii(1, 128);
const ACTION = ascii(1, 100);
const SITE_ID = ascii(0, 128);
const PATH = ascii(0, 2048);
const absent = (v: unknown) => v === undefined || v === null;
const matches = (pattern: RegExp, v: unknown) => typeof v === 'string' && pattern.test(v);

/** One event as a client sends it (`POST /api/event`, and each item of a batch). */
@RejectsUnknownFields()
export class RecordEventDto {
  /**
   * The fast path for the common event (printable ASCII text, an object for metadata): true
   * only when the decorators below would accept it too — held to that by a property test.
   * Anything else is validated, and its errors worded, by class-validator.
   */
  static isPlainlyValid(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const e = value as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!EVENT_FIELDS.has(key)) return false;
    return (
      (matches(USER_ID, e.user_id) || (typeof e.user_id === 'number' && Number.isSafeInteger(e.user_id))) &&
      matches(ACTION, e.action) &&
      (absent(e.event_id) || matches(UUID, e.event_id)) &&
      (absent(e.timestamp) || (typeof e.timestamp === 'string' && parseInstant(e.timestamp) !== null)) &&
      (absent(e.sent_at) || (typeof e.sent_at === 'string' && parseInstant(e.sent_at) !== null)) &&
      (absent(e.site_id) || matches(SITE_ID, e.site_id)) &&
      (absent(e.path) || matches(PATH, e.path)) &&
      (absent(e.metadata) ||
        (typeof e.metadata === 'object' &&
          !Array.isArray(e.metadata) &&
          Buffer.byteLength(JSON.stringify(e.metadata), 'utf8') <= METADATA_MAX_BYTES &&
          findUnstorableText(e.metadata, '').length === 0))
    );
  }

  @ApiPropertyOptional({
    format: 'uuid', maxLength: 36,
    description: 'Idempotency key. A second send with the same id is reported as a duplicate and changes nothing. Generated (UUIDv7) when absent.',
    example: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10',
  })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  event_id?: string;

  @ApiProperty({
    oneOf: [{ type: 'string', minLength: 1, maxLength: 128 }, { type: 'integer', format: 'int64', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }],
    description: 'Who did it. An integer is stored as its decimal string.',
    example: 321,
  })
  @IsDefined({ message: 'is required' })
  @IsUserId()
  user_id!: string | number;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'test_action' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Length(1, 100, { message: 'must be 1 to 100 characters long' })
  action!: string;

  @ApiPropertyOptional({
    format: 'date-time', maxLength: 35,
    description: 'When it happened, with a time zone. Default: when the server received it. At most 10 minutes ahead of the server clock (after sent_at correction).',
    example: '2025-10-23T13:07:00Z',
  })
  @IsOptional()
  @IsIsoInstant()
  timestamp?: string;

  @ApiPropertyOptional({
    format: 'date-time', maxLength: 35,
    description: "The client's clock when it sent the request. The stored time becomes received_at − (sent_at − timestamp), cancelling a wrong client clock.",
    example: '2025-10-23T13:07:02Z',
  })
  @IsOptional()
  @IsIsoInstant()
  sent_at?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Any JSON object, at most 16 KiB serialized.',
    example: { page: '/hello/world' },
  })
  @IsOptional()
  @IsJsonObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 128, example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(128, { message: 'must be at most 128 characters long' })
  site_id?: string;

  @ApiPropertyOptional({ maxLength: 2048, example: '/pricing' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(2048, { message: 'must be at most 2048 characters long' })
  path?: string;
}

export const MAX_BATCH_EVENTS = 1000;

/**
 * The batch envelope. Items are validated one by one in the controller, so that one bad
 * item is reported on its own while its neighbours are stored.
 */
@RejectsUnknownFields()
export class RecordBatchDto {
  @ApiPropertyOptional({
    format: 'date-time', maxLength: 35,
    description: 'Applies to every event without a sent_at of its own.',
    example: '2025-10-23T13:07:02Z',
  })
  @IsOptional()
  @IsIsoInstant()
  sent_at?: string;

  @ApiProperty({ type: [RecordEventDto], minItems: 1, maxItems: MAX_BATCH_EVENTS })
  @IsDefined({ message: 'is required' })
  @IsArray({ message: 'must be an array of events' })
  @ArrayMinSize(1, { message: 'must hold at least 1 event' })
  @ArrayMaxSize(MAX_BATCH_EVENTS, { message: `must hold at most ${MAX_BATCH_EVENTS} events` })
  events!: unknown[];
}

export class ListEventsQueryDto extends RangePageQueryDto {
  @ApiPropertyOptional({ example: '321' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  user_id?: string;

  @ApiPropertyOptional({ example: 'test_action' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  action?: string;

  @ApiPropertyOptional({ example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  order?: 'asc' | 'desc';
}

/** GET /api/events/export: the filters of GET /api/events, no page, and the file's format. */
export class ExportEventsQueryDto extends IntersectionType(OmitType(ListEventsQueryDto, ['limit', 'cursor', 'order'] as const), ExportFormatQueryDto) {
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'Oldest first by default (a file reads in time order).' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  order?: 'asc' | 'desc';
}

/** The filters of GET /api/events/live: only events matching every one given are sent. */
export class LiveEventsQueryDto {
  @ApiPropertyOptional({ maxLength: 128, example: '321' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  @MaxLength(128, { message: 'must be at most 128 characters long' })
  user_id?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'test_action' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  @MaxLength(100, { message: 'must be at most 100 characters long' })
  action?: string;

  @ApiPropertyOptional({ maxLength: 128, example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  @MaxLength(128, { message: 'must be at most 128 characters long' })
  site_id?: string;
}
