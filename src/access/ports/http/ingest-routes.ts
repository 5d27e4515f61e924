import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../../application/api-key-authenticator';
import { ApiKey, ForeignOriginError, ForeignSiteError } from '../../domain/api-key';
import { SEGMENT_INGEST_ROUTES } from '../../../segment/ports/http/segment-routes';
import { POSTHOG_INGEST_ROUTES } from '../../../posthog/ports/http/posthog-routes';
import { TRACKER_INGEST_ROUTES } from '../../../tracker/ports/http/tracker-routes';
import { UMAMI_INGEST_ROUTES } from '../../../umami/ports/http/umami-routes';
import { PLAUSIBLE_INGEST_ROUTES } from '../../../plausible/ports/http/plausible-routes';

/**
 * Where a body names the site of an event: `value` is the object, `field` its property
 * (`site_id` when absent), `path` what an error calls it.
 */
export interface SiteTarget {
  value: unknown;
  path: string;
  field?: string;
}

/**
 * The routes a public ingestion key (scope `ingest`) may use — the ones that record events —
 * and, for each, the objects of its body that name the site of an event.
 * POST /api/event/validate stores nothing and POST /v1/user/login carries no site: both stay
 * with secret keys.
 */
export const INGEST_ROUTES: ReadonlyMap<string, (body: unknown) => SiteTarget[]> = new Map<string, (body: unknown) => SiteTarget[]>([
  ['POST /api/event', (body: unknown) => [{ value: body, path: 'site_id' }]],
  [
    'POST /api/events/batch',
    (body: unknown) => {
      const events = isObject(body) ? body.events : undefined;
      return Array.isArray(events) ? events.map((value, index) => ({ value, path: `events[${index}].site_id` })) : [];
    },
  ],
  ['POST /event', (body: unknown) => [{ value: body, path: 'site_id' }]],
  ['POST /api/ingestion/event', (body: unknown) => [{ value: body, path: 'site_id' }]],
  ...SEGMENT_INGEST_ROUTES,
  ...POSTHOG_INGEST_ROUTES,
  ...TRACKER_INGEST_ROUTES,
  ...UMAMI_INGEST_ROUTES,
  ...PLAUSIBLE_INGEST_ROUTES,
]);

/** The paths of INGEST_ROUTES (all POST): what a CORS preflight may ask about. */
export const INGEST_PATHS: ReadonlySet<string> = new Set([...INGEST_ROUTES.keys()].map((route) => route.split(' ')[1]));

/** Headers a browser may send to an ingestion route, and response headers its script may read. */
// X-Umami-Cache: Umami's tracker sends it (empty) after identify(); refused, every later event's preflight would fail.
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-Key, X-Request-Id, X-Umami-Cache';
const EXPOSED_HEADERS = 'Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id';
/** How long a browser may reuse a preflight answer; the real request is checked against its key anyway. */
const PREFLIGHT_MAX_AGE_S = 600;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Binds the events of a request made with an ingest key to the key's site: an event without
 * a site (`site_id` or the route's field; or null) gets the key's, one with the key's own is kept, and one naming
 * another site refuses the whole request (403, nothing stored) — a key published on one site's
 * pages never writes into another's, and a misconfigured page is told so rather than relabelled.
 * A `site_id` that is not a string is left to the route's validation (400).
 */
export function bindToKeySite(route: string, body: unknown, key: ApiKey): void {
  const targets = INGEST_ROUTES.get(route)?.(body) ?? [];
  const site = key.siteId!;
  for (const { value, path, field = 'site_id' } of targets) {
    if (isObject(value) && typeof value[field] === 'string' && value[field] !== site) throw new ForeignSiteError(path, site);
  }
  for (const { value, field = 'site_id' } of targets) {
    if (isObject(value) && (value[field] === undefined || value[field] === null)) value[field] = site;
  }
}

/**
 * CORS of a request made with an ingest key: a browser request (it has an Origin) from one of
 * the key's origins gets Access-Control-Allow-Origin for that origin; from any other origin it
 * is refused (403) — a key copied onto a foreign page does not record there, even through
 * sendBeacon's simple requests, which no preflight guards. A request without Origin (a server,
 * an app) is not a browser's cross-origin request and passes.
 */
export function allowKeyOrigin(origin: string | undefined, key: ApiKey, reply: FastifyReply): void {
  if (origin === undefined) return;
  if (!key.origins.includes(origin)) throw new ForeignOriginError(origin);
  addVaryOrigin(reply);
  void reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

/**
 * A refusal of a keyless request on a site route (no public key for the site, a foreign origin,
 * no site named) made readable by the page that sent it: without Access-Control-Allow-Origin
 * a browser script sees a network error and a tracker retries what can never succeed. The
 * answer carries only the reason; nothing is stored either way.
 */
export function exposeRefusal(origin: string | undefined, reply: FastifyReply): void {
  if (origin === undefined) return;
  addVaryOrigin(reply);
  void reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

function addVaryOrigin(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (vary === undefined || vary === '') void reply.header('Vary', 'Origin');
  else if (!String(vary).split(',').some((v) => v.trim().toLowerCase() === 'origin' || v.trim() === '*')) void reply.header('Vary', `${String(vary)}, Origin`);
}

/**
 * Whether a request is the CORS preflight of an ingestion route from an origin some active
 * ingest key lists. A preflight carries no key, so it is allowed for the origins of all of them
 * (POST, with the headers a tracker sends); the real request is then checked against its own
 * key's origins (allowKeyOrigin).
 */
async function isIngestPreflight(request: FastifyRequest, authenticator: ApiKeyAuthenticator): Promise<string | null> {
  if (request.method !== 'OPTIONS') return null;
  const origin = request.headers.origin;
  const method = request.headers['access-control-request-method'];
  if (typeof origin !== 'string' || typeof method !== 'string' || method.toUpperCase() !== 'POST') return null;
  if (!INGEST_PATHS.has(request.url.split('?')[0])) return null;
  return (await authenticator.isIngestOrigin(origin)) ? origin : null;
}

/** Without CORS_ORIGINS: a hook that answers the ingestion routes' preflights and nothing else. */
export function answerIngestPreflights(fastify: FastifyInstance, authenticator: ApiKeyAuthenticator): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS') return;
    const origin = await isIngestPreflight(request, authenticator);
    if (origin === null) return;
    addVaryOrigin(reply);
    void reply
      .status(204)
      .header('Access-Control-Allow-Origin', origin)
      .header('Access-Control-Allow-Methods', 'POST')
      .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S))
      .header('Content-Length', '0');
    await reply.send();
    return reply;
  });
}

/**
 * With CORS_ORIGINS: the options of @fastify/cors per request (its `delegator`), so that one
 * handler answers both — the ingestion routes' preflights for the ingest keys' origins, and
 * everything else for CORS_ORIGINS exactly as before. (@nestjs/platform-fastify runs the CORS
 * hook ahead of every hook added later, so a separate hook could not answer first.)
 */
export function ingestAwareCors(corsOrigins: readonly string[], authenticator: ApiKeyAuthenticator): (request: FastifyRequest) => Promise<FastifyCorsOptions> {
  const configured: FastifyCorsOptions = { origin: corsOrigins.includes('*') ? true : [...corsOrigins] };
  return async (request) => {
    const origin = await isIngestPreflight(request, authenticator);
    if (origin === null) return configured;
    return { origin, methods: ['POST'], allowedHeaders: ALLOWED_HEADERS, maxAge: PREFLIGHT_MAX_AGE_S };
  };
}
