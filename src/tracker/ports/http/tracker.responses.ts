import { ApiProperty } from '@nestjs/swagger';

/** The answer of POST /api/collect: every event of the request is stored (or was already). */
export class CollectResponse {
  @ApiProperty({ enum: ['accepted'], example: 'accepted' })
  status!: 'accepted';
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 100, example: 1, description: 'How many events the request held.' })
  events!: number;
}
