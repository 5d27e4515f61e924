import { ApiProperty } from '@nestjs/swagger';
import { ErasureResult } from '../../application/erase-user';

const COUNT = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export class UserErasureResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, description: 'The id of the erasure record kept.' })
  erasure_id!: string;
  @ApiProperty({ format: 'date-time', maxLength: 24 })
  erased_at!: string;
  @ApiProperty({
    type: 'string', nullable: true, pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64,
    description: 'HMAC-SHA-256 of the user id under ERASURE_HASH_KEY, as recorded; null when no key is configured (the record then names no user).',
  })
  user_hash!: string | null;
  @ApiProperty({ ...COUNT, example: 42, description: 'Events deleted (and taken out of every analytics figure).' })
  events!: number;
  @ApiProperty({ ...COUNT, example: 3, description: 'Per-window metric rows deleted.' })
  metric_rows!: number;
  @ApiProperty({ ...COUNT, example: 3, description: 'Metric windows whose ledger figures were corrected.' })
  windows!: number;

  static from(r: ErasureResult): UserErasureResponse {
    return {
      erasure_id: r.id,
      erased_at: r.erasedAt.toISOString(),
      user_hash: r.userHash,
      events: r.events,
      metric_rows: r.metricRows,
      windows: r.windows,
    };
  }
}
