import type { SiteTarget } from '../../../access/ports/http/ingest-routes';
import type { SiteRoute } from '../../../access/ports/http/site-routes';

/** The route our browser tracker (/t.js) posts its events to. */
export const COLLECT_ROUTE = 'POST /api/collect';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The tracker sends no API key (sendBeacon cannot set headers): its body names the site, and a
 * keyless request stands for that site's public ingestion key (site-routes.ts).
 */
export const TRACKER_SITE_ROUTES: Array<[string, SiteRoute]> = [[COLLECT_ROUTE, { field: 'site', siteOf: (body) => (isObject(body) ? body.site : undefined) }]];

/** An ingest key (named or stood for) binds the request's `site` (ingest-routes.ts). */
export const TRACKER_INGEST_ROUTES: Array<[string, (body: unknown) => SiteTarget[]]> = [[COLLECT_ROUTE, (body) => [{ value: body, path: 'site', field: 'site' }]]];
