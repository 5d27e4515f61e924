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
