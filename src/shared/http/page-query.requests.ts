import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IsIsoInstant, IsPageSize } from './validators';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination';


/** `limit` and `cursor`, shared by every paginated list. */
export class PageQueryDto {
  /** The page size asked for, or the default. */
  static limitOf(query: PageQueryDto): number {
    return query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  }

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @IsPageSize(MAX_PAGE_SIZE)
  limit?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page.' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  cursor?: string;
}

/** A page of rows selected by a half-open time range `[from, till)`. */
export class RangePageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive.', example: '2025-10-23T00:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; must be after from.', example: '2025-10-24T00:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  till?: string;
}
