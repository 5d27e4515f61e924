import { ErrorShape } from '../../../shared/http/error-shape';
import { EVENTS_MAX } from '../../application/posthog-events';
import { BODY_MAX_BYTES } from './posthog.responses';

/** PostHog's error `type` and `code` for each status (what its capture endpoints answer). */
const KINDS: Record<number, [string, string]> = {
  400: ['validation_error', 'invalid_payload'],
  401: ['authentication_error', 'invalid_api_key'],
  403: ['authentication_error', 'permission_denied'],
  413: ['validation_error', 'payload_too_large'],
  415: ['validation_error', 'unsupported_media_type'],
  429: ['throttled', 'rate_limited'],
};

/**
 * PostHog's error answers: `{"type", "code", "detail", "attr"}` (attr: the first invalid
 * field), plus `errors` naming each one. The statuses stay the native API's: posthog-node
 * retries 408, 429 and 5xx, halves its batch on 413 (a body over the limits) and drops a batch
 * answered with any other 4xx, which is what an invalid event or a wrong key deserves.
 */
export const posthogErrors: ErrorShape = (problem) => {
  const [type, code] = KINDS[problem.status] ?? (problem.status >= 500 ? ['server_error', 'server_error'] : ['validation_error', 'invalid_request']);
  const detail =
    problem.status === 413
      ? `The request is larger than the PostHog routes accept: at most ${BODY_MAX_BYTES} bytes (5 MiB) once decompressed, and ${EVENTS_MAX} events.`
      : problem.errors
        ? problem.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')
        : problem.detail;
  return { body: { type, code, detail, attr: problem.errors?.[0]?.path ?? null, ...(problem.errors ? { errors: problem.errors } : {}) } };
};
