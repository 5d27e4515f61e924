import { ErrorShape } from '../../../shared/http/error-shape';

/**
 * Segment's error answers: `{"success": false, "message": "…"}`, plus `errors` naming each
 * invalid field. Segment answers 400 for a body over its limits (not 413), which its SDKs do
 * not retry; every other status stays the native API's (401, 403, 415, 429, 5xx), so the SDK
 * retries exactly what it should (429 and 5xx). A 401 challenges with Basic first (the
 * Segment way: the write key as user name), then Bearer (the native headers work too).
 */
export const segmentErrors: ErrorShape = (problem) => {
  if (problem.status === 401) {
    return { body: { success: false, message: problem.detail }, headers: { 'WWW-Authenticate': 'Basic realm="Segment write key", Bearer' } };
  }
  if (problem.status === 413) {
    return { status: 400, body: { success: false, message: 'The request is larger than Segment allows: 32 KB for a call, 500 KB for a batch.' } };
  }
  if (problem.errors) {
    return { body: { success: false, message: problem.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '), errors: problem.errors } };
  }
  return { body: { success: false, message: problem.detail } };
};
