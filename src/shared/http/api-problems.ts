import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { HeadersObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** Longest error text the service writes (a list of every invalid field joined): documented bound. */
const MESSAGE_MAX = 65_536;

class ProblemFieldError {
  @ApiProperty({ example: 'timestamp', maxLength: 1024 })
  path!: string;
  @ApiProperty({ example: 'must be an ISO-8601 date-time with a time zone (e.g. 2025-10-23T13:07:00Z)', maxLength: 1024 })
  message!: string;
}

/** RFC 9457 problem details, the body of every error of the native API. */
export class ProblemResponse {
  @ApiProperty({ example: 'urn:tracking-service:problem:validation-failed', maxLength: 256, description: 'A URN naming the kind of problem, or about:blank.' })
  type!: string;
  @ApiProperty({ example: 'Bad Request', maxLength: 64 })
  title!: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 400 })
  status!: number;
  @ApiProperty({ example: 'The request is invalid; see errors for each field.', maxLength: MESSAGE_MAX })
  detail!: string;
  @ApiPropertyOptional({ type: [ProblemFieldError], maxItems: 10_000, description: 'Every invalid field (400 only).' })
  errors?: ProblemFieldError[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names every bad field.',
  401: 'No valid API key (only once a key exists, or with REQUIRE_API_KEYS=true).',
  403: 'The API key lacks the scope this route needs.',
  404: 'Not found.',
  413: 'The body is larger than this route accepts.',
  415: 'The body is not application/json.',
  422: 'Invalid input.',
  429: 'Rate limit of the key (or, while no key exists, of the client address) exceeded; see Retry-After.',
  500: 'An unexpected error; it has been logged. Nothing internal is shown.',
  503: 'The database is unavailable or the service is shedding load; see Retry-After.',
};

const integerHeader = (description: string, required = false) => ({
  description,
  required,
  schema: { type: 'integer' as const, format: 'int32', minimum: 0, maximum: 86_400 },
});

/** Headers of an error response, the same whatever the body's shape. */
function errorHeaders(status: number): HeadersObject | undefined {
  if (status === 429 || status === 503) return { 'Retry-After': integerHeader('Seconds to wait before retrying.', true) };
  if (status === 401) {
    return { 'WWW-Authenticate': { description: 'The scheme to authenticate with.', required: true, schema: { type: 'string', enum: ['Bearer'] } } };
  }
  return undefined;
}

/** Documents the problem-details responses a route can give (every native route: 500 and more). */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemResponse),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error.',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponse) } } },
        headers: errorHeaders(status),
      }),
    ),
  );
}

// ---- Compatibility routes: each answers errors in the shape of the system it replaces. ----

/** Seeds 000 and 002: `{"error": "<message>"}`. */
export class CompatErrorResponse {
  @ApiProperty({ example: 'date must be a date in the form YYYY-MM-DD', maxLength: MESSAGE_MAX })
  error!: string;
}

class SeedFieldError {
  @ApiProperty({ example: 'body.site_id', maxLength: 1024 })
  path!: string;
  @ApiProperty({ example: 'site_id is required', maxLength: 1024 })
  message!: string;
}

/** Seed 001, invalid fields: `{"status": "fail", "errors": [{"path", "message"}]}`. */
export class SeedFailValidationResponse {
  @ApiProperty({ enum: ['fail'] })
  status!: 'fail';
  @ApiProperty({ type: [SeedFieldError], maxItems: 10_000 })
  errors!: SeedFieldError[];
}

/** Seed 001, any other client error: `{"status": "fail", "message"}`. */
export class SeedFailResponse {
  @ApiProperty({ enum: ['fail'] })
  status!: 'fail';
  @ApiProperty({ example: 'No analytics data found for the specified criteria.', maxLength: MESSAGE_MAX })
  message!: string;
}

/** Seed 001, a server error: `{"status": "error", "message"}`. */
export class SeedServerErrorResponse {
  @ApiProperty({ enum: ['error'] })
  status!: 'error';
  @ApiProperty({ example: 'The database is unavailable; retry shortly.', maxLength: MESSAGE_MAX })
  message!: string;
}

class FastApiFieldError {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'string', maxLength: 1024 }, { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 }] },
    maxItems: 64,
    example: ['body', 'site_id'],
    description: 'Where: "body" or "query", then the field.',
  })
  loc!: Array<string | number>;
  @ApiProperty({ example: 'is required', maxLength: 1024 })
  msg!: string;
  @ApiProperty({ example: 'value_error', maxLength: 128 })
  type!: string;
}

/** Seed 004 (FastAPI), invalid input: `{"detail": [{"loc", "msg", "type"}]}`. */
export class FastApiValidationResponse {
  @ApiProperty({ type: [FastApiFieldError], maxItems: 10_000 })
  detail!: FastApiFieldError[];
}

/** Seed 004 (FastAPI), any other error: `{"detail": "<message>"}`. */
export class FastApiErrorResponse {
  @ApiProperty({ example: 'Not authenticated', maxLength: MESSAGE_MAX })
  detail!: string;
}

export type CompatSeed = '000' | '001' | '002' | '004';

/** The body schema of each error status of a seed's routes. */
function compatSchemaOf(seed: CompatSeed, status: number): Function {
  switch (seed) {
    case '000':
    case '002':
      return CompatErrorResponse;
    case '001':
      return status === 400 ? SeedFailValidationResponse : status >= 500 ? SeedServerErrorResponse : SeedFailResponse;
    case '004':
      return status === 422 ? FastApiValidationResponse : FastApiErrorResponse;
  }
}

const COMPAT_DESCRIPTIONS: Partial<Record<CompatSeed, Record<number, string>>> = {
  '001': {
    400: 'Invalid fields, each named (`{"status": "fail", "errors": […]}`), or a body that is not JSON (`{"status": "fail", "message"}`).',
    404: 'The site has no events then: `{"status": "fail", "message": "No analytics data found for the specified criteria."}`.',
  },
  '004': { 422: 'Invalid fields or a body that is not JSON, FastAPI style.' },
};

/**
 * Documents the error responses of a compatibility route, in its seed's shape
 * (`application/json`). The status codes and headers are those of the native routes.
 */
export function ApiCompatErrors(seed: CompatSeed, ...statuses: number[]): MethodDecorator & ClassDecorator {
  const models = [CompatErrorResponse, SeedFailValidationResponse, SeedFailResponse, SeedServerErrorResponse, FastApiValidationResponse, FastApiErrorResponse];
  return applyDecorators(
    ApiExtraModels(...models),
    ...statuses.map((status) => {
      const schema =
        seed === '001' && status === 400
          ? { oneOf: [{ $ref: getSchemaPath(SeedFailValidationResponse) }, { $ref: getSchemaPath(SeedFailResponse) }] }
          : { $ref: getSchemaPath(compatSchemaOf(seed, status)) };
      return ApiResponse({
        status,
        description: COMPAT_DESCRIPTIONS[seed]?.[status] ?? DESCRIPTIONS[status] ?? 'Error.',
        content: { 'application/json': { schema } },
        headers: errorHeaders(status),
      });
    }),
  );
}

/**
 * Documents the error responses of an SDK-compatible route family (Segment, PostHog, Umami,
 * Plausible): every status in `descriptions`, each with the family's own error body `model`
 * (`application/json`), and Retry-After on 429 and 503 — the statuses are the native API's.
 */
export function ApiSdkErrors(model: Type<unknown>, descriptions: Record<number, string>): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(model),
    ...Object.entries(descriptions).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        content: { 'application/json': { schema: { $ref: getSchemaPath(model) } } },
        ...(status === '429' || status === '503' ? { headers: errorHeaders(Number(status)) } : {}),
      }),
    ),
  );
}
