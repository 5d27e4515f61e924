import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString } from 'class-validator';
import { IsCalendarDate, IsIntegerString, IsIsoInstant } from '../../../shared/http/validators';
import { INTERVALS, Interval, MAX_ROLLING_DAYS } from '../../application/periods';

export class ActiveUsersQueryDto {
  @ApiProperty({ enum: INTERVALS, description: 'Calendar days, ISO weeks (Monday) or months.' })
  @IsDefined({ message: 'is required' })
  @IsIn(INTERVALS as string[], { message: `must be one of ${INTERVALS.join(', ')}` })
  interval!: Interval;

  @ApiProperty({ format: 'date', example: '2025-08-01', description: 'First day, inclusive (UTC).' })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  from!: string;

  @ApiProperty({ format: 'date', example: '2025-08-31', description: 'Last day, inclusive (UTC).' })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  to!: string;

  @ApiPropertyOptional({ example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_ROLLING_DAYS,
    description: 'Only with interval=day: each day counts the users active in the N days ending that day (7 = WAU, 30 = MAU).',
  })
  @IsOptional()
  @IsIntegerString(1, MAX_ROLLING_DAYS)
  rolling?: string;
}

export class OverviewQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive; all time when absent.' })
  @IsOptional()
  @IsIsoInstant()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; all time when absent.' })
  @IsOptional()
  @IsIsoInstant()
  till?: string;

  @ApiPropertyOptional({ example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @IsIntegerString(1, 100)
  top?: string;
}

class ActivePeriodResponse {
  @ApiProperty({ format: 'date', example: '2025-08-09' })
  period_start!: string;
  @ApiProperty({ example: 1 })
  unique_users!: number;
}

export class ActiveUsersResponse {
  @ApiProperty({ enum: INTERVALS })
  interval!: Interval;
  @ApiProperty({ type: 'integer', nullable: true })
  rolling!: number | null;
  @ApiProperty({ type: [ActivePeriodResponse] })
  data!: ActivePeriodResponse[];
}

class TopPathResponse {
  @ApiProperty({ example: '/pricing' })
  path!: string;
  @ApiProperty({ example: 700 })
  views!: number;
}

export class OverviewResponse {
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  from!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  till!: string | null;
  @ApiProperty({ type: 'string', nullable: true })
  site_id!: string | null;
  @ApiProperty({ example: 1250 })
  total_events!: number;
  @ApiProperty({ example: 342 })
  unique_users!: number;
  @ApiProperty({ example: 800, description: 'Events whose action is page_view.' })
  page_views!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { page_view: 800, click: 350, purchase: 100 } })
  events_by_action!: Record<string, number>;
  @ApiProperty({ type: [TopPathResponse], description: 'Paths ranked by page views (ties by path).' })
  top_paths!: TopPathResponse[];
}
