import type { SiteTarget } from '../../../access/ports/http/ingest-routes';
import type { SiteRoute } from '../../../access/ports/http/site-routes';
import { normalizePlausibleSite } from '../../application/plausible-events';

/**
 * Plausible's events endpoint. Plausible serves it at /api/event, which is our own native
 * route, so it lives under /plausible: the script's `data-api` (or the npm tracker's
 * `endpoint`) points here.
 */
export const PLAUSIBLE_EVENT_ROUTE = 'POST /plausible/api/event';

/**
 * Plausible's script sends no API key, only `d` (data-domain): without a key the request
 * stands for that site's public ingestion key (site-routes.ts). A list of domains names its
 * first (normalizePlausibleSite).
 */
export const PLAUSIBLE_SITE_ROUTES: Array<[string, SiteRoute]> = [[PLAUSIBLE_EVENT_ROUTE, { field: 'd', siteOf: normalizePlausibleSite }]];

/** Where a Plausible request names its site, for an ingest key's binding (ingest-routes.ts). */
export const PLAUSIBLE_INGEST_ROUTES: Array<[string, (body: unknown) => SiteTarget[]]> = [
  [
    PLAUSIBLE_EVENT_ROUTE,
    (body) => {
      normalizePlausibleSite(body);
      return [{ value: body, field: 'd', path: 'd' }];
    },
  ],
];
