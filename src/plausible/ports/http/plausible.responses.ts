import { ApiProperty } from '@nestjs/swagger';

/** Every error of POST /plausible/api/event, in Plausible's shape. */
export class PlausibleErrorResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string', maxLength: 65_536 }, maxItems: 100 },
    maxProperties: 1000,
    description: 'Messages by field as the client named it (`u`, `d`, `p.plan`), or `request` for the request as a whole.',
    example: { u: ['is required: the page URL'] },
  })
  errors!: Record<string, string[]>;
}
