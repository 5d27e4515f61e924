import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export type KeyScope = 'read' | 'write' | 'admin';

export class AccessKeyResponse {
  @ApiProperty({ example: 'dashboard', maxLength: 200 })
  name!: string;
  @ApiProperty({ enum: ['read', 'write', 'admin'], example: 'read' })
  scope!: KeyScope;
}

/** GET /api/access: whether keys are needed, and which key the request carried. */
export class AccessResponse {
  @ApiProperty({ enum: ['open', 'keys'], description: '`open`: no API key exists, every route is open. `keys`: routes need a key.' })
  mode!: 'open' | 'keys';
  @ApiPropertyOptional({ type: AccessKeyResponse, description: 'The key sent with this request (its name and scope); absent while the service is open.' })
  key?: AccessKeyResponse;
}
