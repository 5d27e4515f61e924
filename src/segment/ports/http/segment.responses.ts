import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Segment's answer to a stored call or batch. */
export class SegmentSuccessResponse {
  @ApiProperty({ enum: [true], example: true })
  success!: true;
}

class SegmentFieldError {
  @ApiProperty({ example: 'batch[1].userId', maxLength: 1024, description: 'The Segment field, with the message it belongs to in a batch.' })
  path!: string;
  @ApiProperty({ example: 'or anonymousId is required', maxLength: 1024 })
  message!: string;
}

/** Every error of the Segment routes: `{"success": false, "message": "…"}`, with `errors` for invalid messages. */
export class SegmentErrorResponse {
  @ApiProperty({ enum: [false], example: false })
  success!: false;
  @ApiProperty({ example: 'batch[1].userId: or anonymousId is required', maxLength: 65_536 })
  message!: string;
  @ApiPropertyOptional({ type: [SegmentFieldError], maxItems: 10_000, description: 'Each invalid field (400 for invalid messages only).' })
  errors?: SegmentFieldError[];
}
