import { TRACKER_SITE_ROUTES } from '../../../tracker/ports/http/tracker-routes';
import { UMAMI_SITE_ROUTES } from '../../../umami/ports/http/umami-routes';
import { PLAUSIBLE_SITE_ROUTES } from '../../../plausible/ports/http/plausible-routes';
/**
 * Routes whose SDKs send no API key but name their site in the body (Umami's `website`,
 * Plausible's `d`, our tracker's `site`). Without a key, such a request stands for the site's
 * public ingestion key (ApiKeyAuthenticator.authorizeSite): a site accepts these events only
 * once it has one, and a browser only from one of that key's origins. A request that carries a
 * key is checked like any other. Each compatibility module exports its entries; they are
 * listed here, and must also be in INGEST_ROUTES (so that an ingest key may use them).
 */
export interface SiteRoute {
  /** Where the body names the site, as a 400/401 names it (e.g. `payload.website`). */
  field: string;
  /** The site the body names (anything: a non-string is refused with a 400 naming `field`). */
  siteOf(body: unknown): unknown;
}

export const SITE_ROUTES: ReadonlyMap<string, SiteRoute> = new Map<string, SiteRoute>([...TRACKER_SITE_ROUTES, ...UMAMI_SITE_ROUTES, ...PLAUSIBLE_SITE_ROUTES]);
