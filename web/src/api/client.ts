import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { currentKey } from '../access/key-store';

export type Schemas = components['schemas'];
export type Problem = Schemas['ProblemResponse'];

/** Every request carries the stored key; nothing else about the API is written by hand. */
const withKey: Middleware = {
  onRequest({ request }) {
    const key = currentKey();
    if (key) request.headers.set('Authorization', `Bearer ${key}`);
    return request;
  },
};

/** The typed client, generated from the service's OpenAPI document (npm run api:types). */
// The dashboard reads the JSON answers only: the analytics routes also document their CSV and
// NDJSON files (format=csv|ndjson), which are not what a page asks for.
export const api = createClient<paths, 'application/json' | 'application/problem+json'>({ baseUrl: '' });
api.use(withKey);

/** A failed call, worded for a person: what happened and what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

/** Turns an error answer (a problem document) into a sentence a person can act on. */
export function explain(status: number, problem?: Partial<Problem>, retryAfter?: string | null): string {
  const detail = problem?.detail ? ` (${problem.detail})` : '';
  switch (status) {
    case 401:
      return `The service did not accept the API key: it is missing, unknown or revoked${detail}. Enter a valid key.`;
    case 403:
      return `This API key may not do that: it lacks the scope the action needs${detail}. Use a key with more scope.`;
    case 429:
      return `Too many requests for this key or address. Try again${retryAfter ? ` in ${retryAfter} s` : ' shortly'}.`;
    case 503:
      return `The service is busy or starting up. Try again${retryAfter ? ` in ${retryAfter} s` : ' shortly'}.`;
    default:
      if (status >= 500) return `The service failed to answer (${status})${detail}.`;
      return problem?.errors?.length
        ? `${problem.title ?? 'Invalid request'}: ${problem.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`
        : `${problem?.title ?? `Request failed (${status})`}${detail}`;
  }
}

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError with the worded explanation.
 * A network failure (service down) is an ApiError with status 0.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: Awaited<typeof request>;
  try {
    result = await request;
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') throw error;
    throw new ApiError(0, 'The service cannot be reached. Is it running?');
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  const problem = (result.error ?? undefined) as Problem | undefined;
  throw new ApiError(result.response.status, explain(result.response.status, problem, result.response.headers.get('Retry-After')), problem);
}
