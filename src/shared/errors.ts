/** A field that failed validation, named as the client wrote it (`events[3].user_id`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * Base of every business error. Plain class, no framework: handlers throw these, one HTTP
 * filter maps `kind` to a status and `code` to a problem type, the CLI maps them to exit codes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind:
    | 'invalid'
    | 'unauthenticated'
    | 'forbidden'
    | 'not_found'
    | 'conflict'
    | 'unsupported_media_type'
    | 'unavailable'
    | 'rate_limited';
}

export class ValidationFailedError extends DomainError {
  readonly code = 'validation-failed';
  readonly kind = 'invalid';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((error) => (error.path ? `${error.path}: ${error.message}` : error.message)).join('; '));
  }
}

export class DatabaseUnavailableError extends DomainError {
  readonly code = 'database-unavailable';
  readonly kind = 'unavailable';
  constructor() {
    super('The database is unavailable; retry shortly.');
  }
}

/** Prefixes the paths of nested errors: `action` inside item 3 becomes `events[3].action`. */
export function prefixErrors(prefix: string, errors: FieldError[]): FieldError[] {
  return errors.map((error) => ({ path: error.path ? `${prefix}.${error.path}` : prefix, message: error.message }));
}
