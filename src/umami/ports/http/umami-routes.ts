import type { SiteTarget } from '../../../access/ports/http/ingest-routes';
import type { SiteRoute } from '../../../access/ports/http/site-routes';

/** Umami's collection route, served here as Umami serves it. */
export const UMAMI_SEND_ROUTE = 'POST /api/send';

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const payloadOf = (body: unknown): Obj | undefined => (isObject(body) && isObject(body.payload) ? body.payload : undefined);

/**
 * Umami's tracker and @umami/node send no API key, only `payload.website`: without a key the
 * request stands for that site's public ingestion key (site-routes.ts).
 */
export const UMAMI_SITE_ROUTES: Array<[string, SiteRoute]> = [[UMAMI_SEND_ROUTE, { field: 'payload.website', siteOf: (body) => payloadOf(body)?.website }]];

/** Where an Umami request names its site, for an ingest key's binding (ingest-routes.ts). */
export const UMAMI_INGEST_ROUTES: Array<[string, (body: unknown) => SiteTarget[]]> = [
  [UMAMI_SEND_ROUTE, (body) => (payloadOf(body) ? [{ value: payloadOf(body), field: 'website', path: 'payload.website' }] : [])],
];
