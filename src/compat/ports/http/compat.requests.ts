import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsCalendarDate, IsIsoInstant, IsTimeZone, IsUserId } from '../../../shared/http/validators';

const USER_ID_SCHEMA = {
  oneOf: [
    { type: 'string' as const, minLength: 1, maxLength: 128 },
    { type: 'integer' as const, format: 'int64', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  ],
  description: 'A string of 1–128 characters or an integer (stored as its decimal string).',
};
const INSTANT = { type: 'string' as const, format: 'date-time', maxLength: 35, description: 'ISO 8601 with a time zone (Z or ±hh:mm).' };

/** Seed 000: a login. */
export class LoginDto {
  @ApiProperty({ ...USER_ID_SCHEMA, example: '05378ca8-961d-49e7-a903-8026dad78bb7' })
  @IsDefined({ message: 'is required' })
  @IsUserId()
  user_id!: string | number;

  @ApiProperty({ ...INSTANT, example: '2025-08-09T16:30:00Z' })
  @IsDefined({ message: 'is required' })
  @IsIsoInstant()
  login_time!: string;
}

/** Seeds 001 and 004: a site event (004 names the same fields). */
export class SiteEventDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'site-abc-123' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Length(1, 128, { message: 'must be 1 to 128 characters long' })
  site_id!: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'page_view', description: 'page_view events count as views.' })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Length(1, 100, { message: 'must be 1 to 100 characters long' })
  event_type!: string;

  @ApiPropertyOptional({ type: 'string', maxLength: 2048, nullable: true, example: '/pricing' })
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(2048, { message: 'must be at most 2048 characters long' })
  path?: string;

  @ApiPropertyOptional({ ...USER_ID_SCHEMA, example: 'user-xyz-789' })
  @IsOptional()
  @IsUserId()
  user_id?: string | number;

  @ApiProperty({ ...INSTANT, example: '2025-11-12T19:30:01Z' })
  @IsDefined({ message: 'is required' })
  @IsIsoInstant()
  timestamp!: string;
}

export class SiteStatsQueryDto {
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be given once' })
  @Length(1, 128, { message: 'must be 1 to 128 characters long' })
  site_id!: string;

  @IsOptional()
  @IsCalendarDate()
  date?: string;

  @IsOptional()
  @IsTimeZone()
  tz?: string;
}

/** Only the fields a system defines are read: like those systems, extra fields are ignored. */
export function pick(body: unknown, fields: string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (Object.prototype.hasOwnProperty.call(body, field)) picked[field] = (body as Record<string, unknown>)[field];
  return picked;
}

/** The `tz` query parameter of the date-based compat routes (OpenAPI); `example` must suit the route's documented example data. */
export const tzQuery = (example: string) => ({
  name: 'tz',
  required: false,
  description: 'IANA time zone of the date (default DEFAULT_TZ, UTC unless set); the answer then names it in tz.',
  schema: { type: 'string' as const, maxLength: 64, example },
});
