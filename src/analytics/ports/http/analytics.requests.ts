import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString } from 'class-validator';
import { IsCalendarDate, IsInstantOrDate, IsIntegerString, IsTimeZone } from '../../../shared/http/validators';
import { INTERVALS, Interval, MAX_ROLLING_DAYS } from '../../application/periods';

export class ActiveUsersQueryDto {
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
    maxLength: 64,
    example: 'Asia/Kolkata',
    description: 'IANA time zone whose local calendar (days, ISO weeks, months, rolling windows; a DST day has 23 or 25 hours) the answer uses. Default: the service\'s DEFAULT_TZ, UTC unless set.',
  })
  @IsOptional()
  @IsTimeZone()
  tz?: string;
}

export class OverviewQueryDto {
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
