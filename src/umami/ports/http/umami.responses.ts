import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The answer to a stored (or deliberately ignored) request. Umami answers a session cache
 * token here; none is given, so its tracker sends no `x-umami-cache` header afterwards (we keep
 * no sessions to cache). A bot's request is answered `{"beep": "boop"}`, as Umami does.
 */
export class UmamiSendResponse {
  @ApiPropertyOptional({ enum: ['boop'], description: 'Only on the answer to a bot (nothing stored), as Umami answers it.' })
  beep?: 'boop';
}

class UmamiFieldError {
  @ApiProperty({ example: 'payload.url', maxLength: 1024, description: "Umami's field." })
  path!: string;
  @ApiProperty({ example: 'must be a URL or a path', maxLength: 1024 })
  message!: string;
}

class UmamiError {
  @ApiProperty({ example: 'payload.website: is required: the site the event belongs to', maxLength: 65_536 })
  message!: string;
  @ApiProperty({ example: 'validation-failed', maxLength: 100 })
  code!: string;
  @ApiProperty({ example: 400, minimum: 400, maximum: 599, type: 'integer', format: 'int32' })
  status!: number;
  @ApiPropertyOptional({ type: [UmamiFieldError], maxItems: 1000, description: 'Each invalid field (400 only).' })
  errors?: UmamiFieldError[];
}

/** Every error of POST /api/send, in Umami's shape. */
export class UmamiErrorResponse {
  @ApiProperty({ type: UmamiError })
  error!: UmamiError;
}
