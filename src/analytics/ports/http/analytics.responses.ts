import { ApiProperty } from '@nestjs/swagger';
import { MAX_SITES } from '../../application/analytics.read-model';
import { INTERVALS, Interval } from '../../application/periods';

class ActivePeriodResponse {
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-08-09' })
  period_start!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 1 })
  unique_users!: number;
}

export class ActiveUsersResponse {
  @ApiProperty({ enum: INTERVALS })
  interval!: Interval;
  @ApiProperty({ maxLength: 64, example: 'UTC', description: 'The IANA time zone the answer used (tz, or the service default).' })
  tz!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, nullable: true })
  rolling!: number | null;
  @ApiProperty({ type: [ActivePeriodResponse], maxItems: 1000 })
  data!: ActivePeriodResponse[];
}

class TopPathResponse {
  @ApiProperty({ maxLength: 2048, example: '/pricing' })
  path!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 700 })
  views!: number;
}

class SiteSplitResponse {
  @ApiProperty({ type: 'string', nullable: true, maxLength: 128, example: 'site-abc-123', description: 'null: events recorded without a site.' })
  site_id!: string | null;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 900 })
  events!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 250, description: 'Distinct users of this site in the range (a user of two sites counts on each).' })
  unique_users!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 600 })
  page_views!: number;
}

export class OverviewResponse {
  @ApiProperty({ type: 'string', format: 'date-time', maxLength: 24, nullable: true })
  from!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', maxLength: 24, nullable: true })
  till!: string | null;
  @ApiProperty({ maxLength: 64, example: 'UTC', description: 'The IANA time zone the answer used (tz, or the service default).' })
  tz!: string;
  @ApiProperty({ type: 'string', nullable: true, maxLength: 128 })
  site_id!: string | null;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 1250 })
  total_events!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 342 })
  unique_users!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 800, description: 'Events whose action is page_view.' })
  page_views!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, maxProperties: 1_000_000, example: { page_view: 800, click: 350, purchase: 100 } })
  events_by_action!: Record<string, number>;
  @ApiProperty({ type: [TopPathResponse], maxItems: 100, description: 'Paths ranked by page views (ties by path).' })
  top_paths!: TopPathResponse[];
  @ApiProperty({
    type: [SiteSplitResponse],
    maxItems: MAX_SITES,
    description: `Events, unique users and page views per site with events in the range (only the filtered site with site_id), busiest first, ties by site id, "no site" (null) last among equals; at most ${MAX_SITES}.`,
  })
  sites!: SiteSplitResponse[];
}
