import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

class ProblemFieldError {
  @ApiProperty({ example: 'timestamp' })
  path!: string;
  @ApiProperty({ example: 'must be an ISO-8601 date-time with a time zone (e.g. 2025-10-23T13:07:00Z)' })
  message!: string;
}

/** RFC 9457 problem details, the body of every error of the native API. */
export class ProblemResponse {
  @ApiProperty({ example: 'urn:tracking-service:problem:validation-failed' })
  type!: string;
  @ApiProperty({ example: 'Bad Request' })
  title!: string;
  @ApiProperty({ example: 400 })
  status!: number;
  @ApiProperty({ example: 'The request is invalid; see errors for each field.' })
  detail!: string;
  @ApiProperty({ type: [ProblemFieldError], required: false, description: 'Every invalid field (400 only).' })
  errors?: ProblemFieldError[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names every bad field.',
  401: 'No valid API key.',
  403: 'The API key lacks the scope this route needs.',
  404: 'Not found.',
  413: 'The body is larger than this route accepts.',
  415: 'The body is not application/json.',
  429: 'Rate limit exceeded; see Retry-After.',
  503: 'The database is unavailable or the service is shedding load; see Retry-After.',
};

/** Documents the problem-details responses a route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemResponse),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error.',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponse) } } },
        ...(status === 503 || status === 429
          ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } }
          : {}),
      }),
    ),
  );
}
