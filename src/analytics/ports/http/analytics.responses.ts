import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RETENTION_MODES, RetentionMode } from '../../application/analytics.read-model';
import { MAX_SITES } from '../../application/analytics.read-model';
import { INTERVALS, Interval, MAX_COHORTS } from '../../application/periods';

class ActivePeriodResponse {
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-08-09' })
  period_start!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 1 })
  unique_users!: number;
  @ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 4,
    description: 'Only with ratio: distinct users of the 30 (dau_mau) or 7 (dau_wau) local days ending this day.',
  })
  window_users?: number;
  @ApiPropertyOptional({
    type: 'number', format: 'double', minimum: 0, maximum: 1, nullable: true, example: 0.25,
    description: 'Only with ratio: unique_users / window_users; null when window_users is 0.',
  })
  ratio?: number | null;
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
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 120,
    description: 'Of unique_users, those whose first event ever (of site_id, when given) is in the range; without from, all of them.',
  })
  new_users!: number;
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 222,
    description: 'unique_users − new_users: users of the range seen before from.',
  })
  returning_users!: number;
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

class CohortResponse {
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-06-02', description: 'The cohort period\'s first local day.' })
  period_start!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 4, description: 'The cohort\'s users (= active[0]).' })
  users!: number;
  @ApiProperty({
    type: 'array', maxItems: MAX_COHORTS, items: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, example: [4, 2, 1],
    description: 'active[k]: the cohort\'s users active in the k-th period from the cohort\'s own (k = 0), up to the last period starting before till.',
  })
  active!: number[];
  @ApiProperty({
    type: 'array', maxItems: MAX_COHORTS, items: { type: 'number', format: 'double', minimum: 0, maximum: 1, nullable: true }, example: [1, 0.5, 0.25],
    description: 'active[k] / users; null when users is 0.',
  })
  fraction!: Array<number | null>;
}

export class RetentionResponse {
  @ApiProperty({ enum: INTERVALS, example: 'week' })
  period!: Interval;
  @ApiProperty({ enum: RETENTION_MODES, example: 'new' })
  mode!: RetentionMode;
  @ApiProperty({ maxLength: 64, example: 'UTC', description: 'The IANA time zone the answer used (tz, or the service default).' })
  tz!: string;
  @ApiProperty({ type: 'string', nullable: true, maxLength: 128, example: null })
  site_id!: string | null;
  @ApiProperty({ type: 'string', enum: ['login'], nullable: true, example: null, description: 'null: every action.' })
  action!: 'login' | null;
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-06-02' })
  from!: string;
  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-06-23' })
  till!: string;
  @ApiProperty({ type: [CohortResponse], maxItems: MAX_COHORTS, description: 'One per period starting in [from, till), in order; later cohorts have shorter arrays.' })
  cohorts!: CohortResponse[];
}
