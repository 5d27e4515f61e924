import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsIsoInstant } from './validators';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination';

const LIMIT_MESSAGE = `must be an integer from 1 to ${MAX_PAGE_SIZE}`;
const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value);

/** `limit` and `cursor`, shared by every paginated list. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(MAX_PAGE_SIZE, { message: LIMIT_MESSAGE })
  limit?: number;

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
