import { ErrorShape } from '../../../shared/http/error-shape';

/**
 * Plausible's error answers: `{"errors": {"<field>": ["<message>", …]}}`, with `request` for
 * what is not one field (broken JSON, a missing key, a refused origin). Statuses stay the
 * native API's (401, 403, 413, 415, 429, 5xx with Retry-After).
 */
export const plausibleErrors: ErrorShape = (problem) => {
  const errors: Record<string, string[]> = {};
  if (problem.errors) {
    for (const { path, message } of problem.errors) (errors[!path || path === 'body' ? 'request' : path] ??= []).push(message);
  } else errors.request = [problem.detail];
  return { body: { errors } };
};
