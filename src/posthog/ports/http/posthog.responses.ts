import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** At most this much body once decompressed (the native batch's limit). */
export const BODY_MAX_BYTES = 5 * 1024 * 1024;

/** PostHog's answer to stored events. */
export class PosthogSuccessResponse {
  @ApiProperty({ enum: [1], example: 1, type: 'integer', format: 'int32', minimum: 1, maximum: 1 })
  status!: 1;
}

class PosthogFieldError {
  @ApiProperty({ example: 'batch[1].distinct_id', maxLength: 1024, description: 'The PostHog field, with the event it belongs to in a batch.' })
  path!: string;
  @ApiProperty({ example: 'is required (the user: a string of 1 to 128 printable ASCII characters)', maxLength: 1024 })
  message!: string;
}

/** Every error of the PostHog routes, in PostHog's shape, with `errors` for invalid events. */
export class PosthogErrorResponse {
  @ApiProperty({ example: 'validation_error', maxLength: 64, description: 'validation_error, authentication_error, throttled or server_error.' })
  type!: string;
  @ApiProperty({ example: 'invalid_payload', maxLength: 64 })
  code!: string;
  @ApiProperty({ example: 'batch[1].distinct_id: is required (the user: a string of 1 to 128 printable ASCII characters)', maxLength: 65_536 })
  detail!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'batch[1].distinct_id', maxLength: 1024, description: 'The first invalid field, else null.' })
  attr!: string | null;
  @ApiPropertyOptional({ type: [PosthogFieldError], maxItems: 10_000, description: 'Each invalid field (400 for invalid events only).' })
  errors?: PosthogFieldError[];
}
