import { RejectsUnknownFields } from '../../../shared/http/openapi';
import { ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { ExportFormatQueryDto } from '../../../shared/http/export-stream';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { IsIsoInstant } from '../../../shared/http/validators';
import { RangePageQueryDto } from '../../../shared/http/page-query.requests';
import { WINDOW_STATUSES, WindowStatus } from '../../domain/window-ledger';

@RejectsUnknownFields()
export class ComputeMetricsDto {
  @ApiPropertyOptional({ format: 'date-time', maxLength: 35, description: 'With till: backfill every ended window overlapping [from, till).', example: '2025-10-23T00:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', maxLength: 35, description: 'Exclusive; after from, at most 366 days later.', example: '2025-10-24T00:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  till?: string;
}

/** Metrics of the windows that overlap [from, till). */
export class ListMetricsQueryDto extends RangePageQueryDto {
  @ApiPropertyOptional({ example: '321' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  user_id?: string;
}

/** GET /api/metrics/export: the filters of GET /api/metrics, no page, and the file's format. */
export class ExportMetricsQueryDto extends IntersectionType(OmitType(ListMetricsQueryDto, ['limit', 'cursor'] as const), ExportFormatQueryDto) {}

/** Windows that overlap [from, till). */
export class ListWindowsQueryDto extends RangePageQueryDto {
  @ApiPropertyOptional({ enum: WINDOW_STATUSES })
  @IsOptional()
  @IsIn(WINDOW_STATUSES as string[], { message: `must be one of ${WINDOW_STATUSES.join(', ')}` })
  status?: WindowStatus;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'By window_start: oldest first (asc) or newest first (desc).' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  order?: 'asc' | 'desc';
}
