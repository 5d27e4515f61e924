import type { FastifyRequest } from 'fastify';

/**
 * The paths of PostHog's capture API served here. posthog-node posts to /batch/, posthog-js to
 * /e/ (or /i/v0/e/ when its remote config says so); each is served with and without the
 * trailing slash, as PostHog serves them.
 */
export const POSTHOG_PATHS = ['/batch/', '/capture/', '/e/', '/i/v0/e/'] as const;

export const POSTHOG_ROUTES: ReadonlySet<string> = new Set(POSTHOG_PATHS.flatMap((path) => [`POST ${path}`, `POST ${path.slice(0, -1)}`]));

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const secret = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/**
 * The key of a PostHog request: the native headers when sent (`fallback`: Bearer, X-API-Key —
 * a deliberate choice of whoever set them, as no PostHog SDK sends them), else where the SDKs
 * put their project key: `api_key` (or `token`) of the body (posthog-node, posthog-js), else
 * of its first event or that event's properties (older posthog-js sends an array of events
 * with `properties.token`).
 */
export function posthogSecretOf(request: FastifyRequest, fallback: string | undefined): string | undefined {
  if (fallback !== undefined) return fallback;
  const body = request.body;
  const first = Array.isArray(body) ? body[0] : isObject(body) && Array.isArray(body.batch) ? body.batch[0] : undefined;
  for (const holder of [body, first, isObject(first) ? first.properties : undefined]) {
    if (!isObject(holder)) continue;
    const found = secret(holder.api_key) ?? secret(holder.token);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Where a PostHog event names its site for a public ingestion key (ingest-routes.ts):
 * `properties.site_id` of each event. An event without properties gets them, so the key's site
 * is filled in whatever the SDK sent.
 */
function siteTargetsOf(body: unknown): Array<{ value: unknown; path: string }> {
  const [events, prefix] = Array.isArray(body)
    ? [body, (i: number) => `[${i}].`]
    : isObject(body) && body.batch !== undefined && body.batch !== null
      ? [Array.isArray(body.batch) ? body.batch : [], (i: number) => `batch[${i}].`]
      : [[body], () => ''];
  return events.map((event, index) => {
    if (isObject(event) && (event.properties === undefined || event.properties === null)) event.properties = {};
    return { value: isObject(event) ? event.properties : undefined, path: `${prefix(index)}properties.site_id` };
  });
}

export const POSTHOG_INGEST_ROUTES: Array<[string, (body: unknown) => Array<{ value: unknown; path: string }>]> = [...POSTHOG_ROUTES].map((route) => [route, siteTargetsOf]);
