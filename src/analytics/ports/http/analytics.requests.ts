import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString } from 'class-validator';
import { AnswerFormatQueryDto } from '../../../shared/http/export-stream';
import { IsCalendarDate, IsInstantOrDate, IsIntegerString, IsTimeZone } from '../../../shared/http/validators';
import { INTERVALS, Interval, MAX_COHORTS, MAX_ROLLING_DAYS } from '../../application/periods';
import { RETENTION_MODES, RetentionMode } from '../../application/analytics.read-model';
import { STICKINESS_RATIOS, StickinessRatio } from '../../application/get-active-users';

export class ActiveUsersQueryDto extends AnswerFormatQueryDto {
  @ApiProperty({ enum: INTERVALS, example: 'day', description: 'Calendar days, ISO weeks (Monday) or months.' })
  @IsDefined({ message: 'is required' })
  @IsIn(INTERVALS as string[], { message: `must be one of ${INTERVALS.join(', ')}` })
  interval!: Interval;

  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-08-01', description: 'First day, inclusive (a local day of tz).' })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  from!: string;

  @ApiProperty({ format: 'date', maxLength: 10, example: '2025-08-31', description: 'Last day, inclusive (a local day of tz).' })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  to!: string;

  @ApiPropertyOptional({ example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_ROLLING_DAYS,
    description: 'Only with interval=day: each day counts the users active in the N days ending that day (7 = WAU, 30 = MAU).',
  })
  @IsOptional()
  @IsIntegerString(1, MAX_ROLLING_DAYS)
  rolling?: string;

  @ApiPropertyOptional({
    enum: STICKINESS_RATIOS,
    example: 'dau_mau',
    description:
      'Stickiness, only with interval=day (and without rolling): each day also gets window_users, the distinct users of the 30 (dau_mau) or 7 (dau_wau) local days ending that day, and ratio = unique_users / window_users (null when window_users is 0).',
  })
  @IsOptional()
  @IsIn(STICKINESS_RATIOS as string[], { message: `must be one of ${STICKINESS_RATIOS.join(', ')}` })
  ratio?: StickinessRatio;

  @ApiPropertyOptional({
    maxLength: 64,
    example: 'Asia/Kolkata',
    description: 'IANA time zone whose local calendar (days, ISO weeks, months, rolling windows; a DST day has 23 or 25 hours) the answer uses. Default: the service\'s DEFAULT_TZ, UTC unless set.',
  })
  @IsOptional()
  @IsTimeZone()
  tz?: string;
}

export class OverviewQueryDto extends AnswerFormatQueryDto {
  @ApiPropertyOptional({
    type: 'string',
    maxLength: 35,
    description: 'Inclusive; all time when absent. An ISO-8601 date-time with a zone, or a date YYYY-MM-DD: the start of that local day of tz.',
  })
  @IsOptional()
  @IsInstantOrDate()
  from?: string;

  @ApiPropertyOptional({
    type: 'string',
    maxLength: 35,
    description: 'Exclusive; all time when absent. An ISO-8601 date-time with a zone, or a date YYYY-MM-DD: the start of that local day of tz (so from=2025-08-09&till=2025-08-10 is one local day).',
  })
  @IsOptional()
  @IsInstantOrDate()
  till?: string;

  @ApiPropertyOptional({ example: 'site-abc-123' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @IsIntegerString(1, 100)
  top?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    example: 'Asia/Kolkata',
    description: 'IANA time zone in which a from or till given as a date YYYY-MM-DD is read (the start of that local day; a DST day has 23 or 25 hours). Default: the service\'s DEFAULT_TZ, UTC unless set.',
  })
  @IsOptional()
  @IsTimeZone()
  tz?: string;
}

export class RetentionQueryDto extends AnswerFormatQueryDto {
  @ApiProperty({ enum: INTERVALS, example: 'week', description: 'Cohorts and activity per local day, ISO week (Monday) or calendar month.' })
  @IsDefined({ message: 'is required' })
  @IsIn(INTERVALS as string[], { message: `must be one of ${INTERVALS.join(', ')}` })
  period!: Interval;

  @ApiProperty({
    format: 'date',
    maxLength: 10,
    example: '2025-06-02',
    description: 'First cohort\'s first day, inclusive (a local day of tz). Must start a period: any day for day, a Monday for week, a 1st for month — a 400 naming from otherwise.',
  })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  from!: string;

  @ApiProperty({
    format: 'date',
    maxLength: 10,
    example: '2025-08-25',
    description: `Exclusive (a local day of tz): the cohorts are the periods starting in [from, till), at most ${MAX_COHORTS}. The last one is counted whole, to its own end.`,
  })
  @IsDefined({ message: 'is required' })
  @IsCalendarDate()
  till!: string;

  @ApiPropertyOptional({
    enum: RETENTION_MODES,
    default: 'new',
    example: 'new',
    description:
      'new (default): a cohort is the users first seen in its period — their first event ever matching the same site_id and action filter is in it (an event recorded late, with an earlier time, moves a user\'s first-seen earlier). returning: every user active in the period.',
  })
  @IsOptional()
  @IsIn(RETENTION_MODES as string[], { message: `must be one of ${RETENTION_MODES.join(', ')}` })
  mode?: RetentionMode;

  @ApiPropertyOptional({ maxLength: 128, example: 'site-abc-123', description: 'Only events of this site count (for being seen and for being active).' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  site_id?: string;

  @ApiPropertyOptional({ enum: ['login'], example: 'login', description: 'Only events of this action count (absent: every action).' })
  @IsOptional()
  @IsIn(['login'], { message: 'must be login (or absent: every action)' })
  action?: 'login';

  @ApiPropertyOptional({
    maxLength: 64,
    example: 'Asia/Kolkata',
    description: 'IANA time zone whose local calendar the periods follow (a DST day has 23 or 25 hours). Default: the service\'s DEFAULT_TZ, UTC unless set.',
  })
  @IsOptional()
  @IsTimeZone()
  tz?: string;
}
