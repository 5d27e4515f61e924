import { IsDefined, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsCalendarDate, IsIsoInstant, IsUserId } from '../../../shared/http/validators';

/** Seed 000: a login. */
export class LoginDto {
  @IsDefined({ message: 'is required' })
  @IsUserId()
  user_id!: string | number;

  @IsDefined({ message: 'is required' })
  @IsIsoInstant()
  login_time!: string;
}

/** Seeds 001 and 004: a site event (004 names the same fields). */
export class SiteEventDto {
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Length(1, 128, { message: 'must be 1 to 128 characters long' })
  site_id!: string;

  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @Length(1, 100, { message: 'must be 1 to 100 characters long' })
  event_type!: string;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(2048, { message: 'must be at most 2048 characters long' })
  path?: string;

  @IsOptional()
  @IsUserId()
  user_id?: string | number;

  @IsDefined({ message: 'is required' })
  @IsIsoInstant()
  timestamp!: string;
}

export class SiteStatsQueryDto {
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be given once' })
  @Length(1, 128, { message: 'must be 1 to 128 characters long' })
  site_id!: string;

  @IsOptional()
  @IsCalendarDate()
  date?: string;
}

/** Only the fields a system defines are read: like those systems, extra fields are ignored. */
export function pick(body: unknown, fields: string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (Object.prototype.hasOwnProperty.call(body, field)) picked[field] = (body as Record<string, unknown>)[field];
  return picked;
}
