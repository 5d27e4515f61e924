import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `{"status": "ok"}`. */
export class LiveResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

const CHECKS = {
  type: 'object' as const,
  maxProperties: 16,
  description: 'Per check (database, schema, access): {"status": "up" | "down", …details}.',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    // Each check adds its own details (access: mode, warning; schema: pending, message).
    additionalProperties: true,
    maxProperties: 16,
  },
  example: { database: { status: 'up' }, schema: { status: 'up' }, access: { status: 'up', mode: 'keys' } },
};

/** @nestjs/terminus's report: the checks that passed (info), failed (error), and all of them (details). */
export class HealthReportResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status!: string;
  @ApiPropertyOptional(CHECKS)
  info?: Record<string, unknown>;
  @ApiPropertyOptional(CHECKS)
  error?: Record<string, unknown>;
  @ApiPropertyOptional(CHECKS)
  details?: Record<string, unknown>;
}
