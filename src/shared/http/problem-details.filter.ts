import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors';
import { DomainError, ValidationFailedError } from '../errors';
import { errorShapeOf, ProblemDetails } from './error-shape';

export type { ProblemDetails };

/** Seconds a client should wait before retrying when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

const KIND_STATUS: Record<DomainError['kind'], number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * The one place where errors become HTTP responses: RFC 9457 problem details. Nothing
 * internal (stack, SQL, class names) reaches the client; unexpected errors are logged here.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = this.toProblem(error);
    if (problem.status === HttpStatus.SERVICE_UNAVAILABLE) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    if (problem.status === HttpStatus.UNAUTHORIZED) reply.header('WWW-Authenticate', 'Bearer');
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (problem.status === HttpStatus.TOO_MANY_REQUESTS && typeof retryAfter === 'number') {
      reply.header('Retry-After', String(retryAfter));
    }
    if (problem.status >= 500 && problem.status !== HttpStatus.SERVICE_UNAVAILABLE) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } else if (problem.status === HttpStatus.SERVICE_UNAVAILABLE) {
      this.logger.warn(`answered 503: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Routes of another system (compatibility routes) word the same error their own way.
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const shape = errorShapeOf(request);
    if (shape && request) {
      const shaped = shape(problem, request);
      for (const [name, value] of Object.entries(shaped.headers ?? {})) reply.header(name, value);
      void reply.status(shaped.status ?? problem.status).header('Content-Type', 'application/json').send(shaped.body);
      return;
    }
    void reply.status(problem.status).header('Content-Type', 'application/problem+json').send(problem);
  }

  toProblem(error: unknown): ProblemDetails {
    if (error instanceof ValidationFailedError) {
      return {
        ...problem(400, 'validation-failed', 'The request is invalid; see errors for each field.'),
        errors: error.errors,
      };
    }
    if (error instanceof DomainError) return problem(KIND_STATUS[error.kind], error.code, error.message);
    if (isDatabaseUnavailable(error)) {
      return problem(503, 'database-unavailable', 'The database is unavailable; retry shortly.');
    }
    if (error instanceof HttpException) return fromHttpException(error);
    return problem(500, undefined, 'An unexpected error occurred; it has been logged.');
  }
}

/**
 * Nest's own exceptions (unknown route) and Fastify's, which Nest hands over as an
 * HttpException carrying Fastify's status: body too large, wrong media type, broken JSON.
 */
function fromHttpException(error: HttpException): ProblemDetails {
  const status = error.getStatus();
  const message = messageOf(error.getResponse());
  switch (status) {
    case 404:
      return problem(404, undefined, 'No such route.');
    case 413:
      return problem(413, 'payload-too-large', 'The request body is larger than this route accepts.');
    case 415:
      return problem(415, 'unsupported-media-type', 'Send the body as JSON with Content-Type: application/json.');
    case 400:
      if (/empty/i.test(message)) {
        return { ...problem(400, 'validation-failed', 'The request body is empty.'), errors: [{ path: 'body', message: 'must be a JSON object' }] };
      }
      if (/JSON|Unexpected|token/i.test(message)) {
        return { ...problem(400, 'validation-failed', 'The request body is not valid JSON.'), errors: [{ path: 'body', message: 'must be valid JSON' }] };
      }
      return problem(400, 'bad-request', 'The request is malformed.');
    default:
      return problem(status, undefined, STATUS_CODES[status] ?? 'Error');
  }
}

function problem(status: number, code: string | undefined, detail: string): ProblemDetails {
  return {
    type: code ? `urn:tracking-service:problem:${code}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
  };
}

function messageOf(response: string | object): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return typeof message === 'string' ? message : Array.isArray(message) ? message.join('; ') : 'Request failed.';
}
