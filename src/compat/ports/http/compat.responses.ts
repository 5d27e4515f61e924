import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const count = (example: number) => ({ type: 'integer' as const, format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example });

/** Seed 000: `{"date", "unique_users"}`. */
export class DailyUniquesResponse {
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-08-09' })
  date!: string;
  @ApiProperty(count(1))
  unique_users!: number;
  @ApiPropertyOptional({ maxLength: 64, example: 'Asia/Jakarta', description: 'The IANA time zone used; present when tz was given or DEFAULT_TZ is not UTC.' })
  tz?: string;
}

/** Seed 000: `{"month", "unique_users"}`. */
export class MonthlyUniquesResponse {
  @ApiProperty({ pattern: '^\\d{4}-\\d{2}$', maxLength: 7, example: '2025-08' })
  month!: string;
  @ApiProperty(count(987))
  unique_users!: number;
  @ApiPropertyOptional({ maxLength: 64, example: 'Asia/Jakarta', description: 'The IANA time zone used; present when tz was given or DEFAULT_TZ is not UTC.' })
  tz?: string;
}

/** Seeds 001 and 004: `{"status": "queued"}`. */
export class QueuedResponse {
  @ApiProperty({ enum: ['queued'] })
  status!: 'queued';
}

class SiteTopPath {
  @ApiProperty({ maxLength: 2048, example: '/pricing' })
  path!: string;
  @ApiProperty(count(700))
  views!: number;
}

/** Seeds 001 (inside `data`) and 004: a site's stats of a day or of all time. */
export class SiteStatsResponse {
  @ApiProperty({ maxLength: 128, example: 'site-abc-123' })
  site_id!: string;
  @ApiProperty({
    maxLength: 10,
    pattern: '^(\\d{4}-\\d{2}-\\d{2}|all-time)$',
    description: 'The date asked for, or "all-time" without one.',
    example: '2025-11-12',
  })
  date!: string;
  @ApiProperty({ ...count(1450), description: 'page_view events of the site.' })
  total_views!: number;
  @ApiProperty({ ...count(212), description: 'Distinct users across all the site’s events.' })
  unique_users!: number;
  @ApiProperty({ type: [SiteTopPath], maxItems: 3, description: 'The top 3 paths by page views (ties by path).' })
  top_paths!: SiteTopPath[];
  @ApiPropertyOptional({ maxLength: 64, example: 'Asia/Jakarta', description: 'The IANA time zone of date; present when tz was given or DEFAULT_TZ is not UTC.' })
  tz?: string;
}

/** Seed 001: `{"status": "success", "data": {…}}`. */
export class ReportingStatsResponse {
  @ApiProperty({ enum: ['success'] })
  status!: 'success';
  @ApiProperty({ type: SiteStatsResponse })
  data!: SiteStatsResponse;
}

/** Seed 001: `{"message": "API is running, healthy, and ready!"}`. */
export class HealthcheckMessageResponse {
  @ApiProperty({ enum: ['API is running, healthy, and ready!'] })
  message!: string;
}

/** Seed 002 (and the liveness check): `{"status": "ok"}`. */
export class StatusOkResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

class SummaryData {
  @ApiProperty(count(1250))
  totalEvents!: number;
  @ApiProperty(count(342))
  uniqueUsers!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    maxProperties: 1_000_000,
    example: { page_view: 800, click: 350, purchase: 100 },
    description: 'Events per action.',
  })
  eventsByType!: Record<string, number>;
}

/** Seed 002: `{"data": {…}, "cached": false}`. */
export class SummaryResponse {
  @ApiProperty({ type: SummaryData })
  data!: SummaryData;
  @ApiProperty({ enum: [false], description: 'Always false: every answer is computed from the stored events.' })
  cached!: boolean;
}
