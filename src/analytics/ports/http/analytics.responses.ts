import { ApiProperty } from '@nestjs/swagger';
import { INTERVALS, Interval } from '../../application/periods';

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
