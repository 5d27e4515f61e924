import { ErrorShape } from '../../../shared/http/error-shape';

/**
 * Umami's error answers: `{"error": {"message", "code", "status"}}` (its lib/response.ts), plus
 * `errors` naming each invalid field. Statuses stay the native API's (401, 403, 413, 415, 429,
 * 5xx with Retry-After).
 */
export const umamiErrors: ErrorShape = (problem) => {
  const code = problem.type.startsWith('urn:tracking-service:problem:') ? problem.type.slice('urn:tracking-service:problem:'.length) : problem.title.toLowerCase().replace(/\s+/g, '-');
  const message = problem.errors ? problem.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ') : problem.detail;
  return { body: { error: { message, code, status: problem.status, ...(problem.errors ? { errors: problem.errors } : {}) } } };
};
