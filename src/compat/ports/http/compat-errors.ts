import { FieldError } from '../../../shared/errors';
import { ErrorShape, ProblemDetails } from '../../../shared/http/error-shape';

/**
 * Each seed system's own error format, for every error of its routes (validation, broken
 * JSON, 401/403/429, 413/415, 5xx). Status codes and headers stay those of the native API,
 * except where the system itself differs (FastAPI's 422 for an invalid request).
 */

/** Where a field lives: compatibility GET routes read only the query, others only the body. */
const located = (path: string, method: string) => {
  const location = method === 'GET' ? 'query' : 'body';
  return path === location || path.startsWith(`${location}.`) ? path : `${location}.${path}`;
};

const sentence = (errors: FieldError[]) => errors.map((e) => `${e.path} ${e.message}`).join('; ');

/** Seeds 000 and 002: `{"error": "<message>"}`. */
export const plainErrors: ErrorShape = (problem) => ({
  body: { error: problem.errors ? sentence(problem.errors) : problem.detail },
});

/** Seed 001 (JSend): `{"status": "fail", "errors": [{"path": "body.site_id", "message": "site_id is required"}]}`. */
export const jsendErrors: ErrorShape = (problem, { method }) => {
  if (problem.errors) {
    return {
      body: {
        status: 'fail',
        errors: problem.errors.map((e) => {
          const path = located(e.path, method);
          return { path, message: `${path.split('.').pop()} ${e.message}` };
        }),
      },
    };
  }
  return { body: { status: problem.status >= 500 ? 'error' : 'fail', message: problem.detail } };
};

/** Seed 004 (FastAPI): 422 `{"detail": [{"loc": ["body", "site_id"], "msg": "…", "type": "…"}]}`, else `{"detail": "…"}`. */
export const fastApiErrors: ErrorShape = (problem: ProblemDetails, { method }) => {
  if (problem.errors) {
    return {
      status: 422,
      body: {
        detail: problem.errors.map((e) => {
          const path = located(e.path, method);
          return { loc: path.split('.'), msg: e.message, type: path === 'body' && /JSON/.test(e.message) ? 'json_invalid' : 'value_error' };
        }),
      },
    };
  }
  return { body: { detail: problem.detail } };
};
