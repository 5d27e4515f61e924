import { FieldError } from '../../shared/errors';
import { findUnstorableText } from '../../shared/http/validate';
import { externalReferrerOf, pageUrlOf } from '../../shared/page-url';
import { EventDraft } from '../../tracking/domain/tracked-event';

/**
 * What Plausible's script sends to its events endpoint (`data-api`, or the npm tracker's
 * `endpoint`) — text/plain JSON `{n, u, d, r, p, h, …}` — and what its Events API takes with
 * long names (`name`, `url`, `domain`, `referrer`, `props`), mapped onto our events. Pure: the
 * controller adds the user (always the anonymous visitor id: Plausible has no user ids).
 */

/** Our own limits, as the native API: metadata at most 16 KiB serialized. */
export const METADATA_MAX_BYTES = 16 * 1024;

export type PlausibleMapping =
  | { ok: true; kind: 'event'; site: string; draft: Omit<EventDraft, 'userId'> }
  /** The script's `engagement` events (time on page, scroll depth): accepted, not stored. */
  | { ok: true; kind: 'engagement'; site: string }
  | { ok: false; errors: FieldError[] };

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const present = (value: unknown) => value !== undefined && value !== null;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The short field a request used, else its long name (Plausible reads both, short first). */
function fieldOf(body: Obj, short: string, ...long: string[]): string {
  return [short, ...long].find((name) => present(body[name])) ?? short;
}

/**
 * The site a Plausible request names, made the request's `d`: `d`, else `domain`. Plausible
 * takes a comma-separated list of domains (one event recorded into each); here an event belongs
 * to one site, so the first is the site and the others are dropped (our analytics without a
 * site filter are the roll-up a second Plausible site was for). Idempotent: run by the key
 * guard (site-routes, ingest-routes) and by the mapping alike, so all three see one site.
 */
export function normalizePlausibleSite(body: unknown): unknown {
  if (!isObject(body)) return undefined;
  if (!present(body.d) && typeof body.domain === 'string') {
    body.d = body.domain;
    delete body.domain;
  }
  if (typeof body.d === 'string' && body.d.includes(',')) body.d = body.d.split(',')[0];
  if (typeof body.d === 'string') body.d = body.d.trim();
  return body.d;
}

/**
 * Turns one Plausible request into an event draft, or the reasons it cannot be stored, each
 * naming the field as the client sent it (`u` or `url`).
 *
 * Kept: the site (`d`), the action (`pageview` → `page_view`, any other name as it is), the
 * path (`u`'s path; with `h` = 1 its fragment too, as Plausible does), and as metadata the
 * props (`p`/`m`, an object or a JSON string of one), `referrer` (`r`: from another site only,
 * without its query, as our tracker keeps it), the utm_* parameters of
 * the URL and `revenue` (`$`); the props' own keys win. Dropped: the rest of the query string,
 * `i` (interactive), `v` (script version), the engagement events. The time is the receipt:
 * Plausible's protocol sends none.
 */
export function mapPlausibleEvent(body: unknown): PlausibleMapping {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  if (!isObject(body)) return { ok: false, errors: [{ path: 'body', message: 'must be a JSON object {"n": …, "u": …, "d": …}' }] };

  const nameField = fieldOf(body, 'n', 'name');
  const name = body[nameField];
  let action: string | undefined;
  if (!present(name)) fail(nameField, 'is required: the event name ("pageview" or a custom event)');
  else if (typeof name !== 'string' || name.length < 1 || name.length > 100) fail(nameField, 'must be a string of 1 to 100 characters');
  else action = name === 'pageview' ? 'page_view' : name;

  const site = normalizePlausibleSite(body);
  if (!present(site)) fail('d', 'is required: the site (data-domain) the event belongs to');
  else if (typeof site !== 'string' || site.length < 1 || site.length > 128 || CONTROL.test(site)) fail('d', 'must name the site: a string of 1 to 128 characters');

  const hashField = fieldOf(body, 'h', 'hashMode');
  const keepHash = body[hashField] === 1 || body[hashField] === true;

  const urlField = fieldOf(body, 'u', 'url');
  const url = body[urlField];
  let path: string | undefined;
  let utm: Record<string, string> = {};
  let pageHost: string | null = null;
  if (!present(url)) fail(urlField, 'is required: the page URL');
  else if (typeof url !== 'string' || url.length > 8192) fail(urlField, 'must be a string of at most 8192 characters');
  else {
    const page = pageUrlOf(url, null, keepHash);
    if (!page) fail(urlField, 'must be a URL (data: URLs are refused)');
    else if (page.path.length > 2048) fail(urlField, `has a path of ${page.path.length} characters; at most 2048 are kept`);
    else {
      path = page.path;
      utm = page.utm;
      pageHost = page.host;
    }
  }

  const referrerField = fieldOf(body, 'r', 'referrer');
  const referrer = body[referrerField];
  if (present(referrer) && (typeof referrer !== 'string' || referrer.length > 2048)) fail(referrerField, 'must be a string of at most 2048 characters, or null');

  const propsField = fieldOf(body, 'm', 'meta', 'p', 'props');
  let props: Obj = {};
  const rawProps = body[propsField];
  if (present(rawProps)) {
    let parsed: unknown = rawProps;
    if (typeof rawProps === 'string') {
      try {
        parsed = JSON.parse(rawProps);
      } catch {
        parsed = undefined;
      }
    }
    if (!isObject(parsed)) fail(propsField, 'must be an object, or a string holding a JSON object');
    else props = parsed;
  }

  const revenueField = fieldOf(body, '$', 'revenue');
  const revenue = body[revenueField];
  if (present(revenue) && !isObject(revenue)) fail(revenueField, 'must be an object {"amount": …, "currency": …}');

  for (const field of [nameField, urlField, referrerField]) {
    if (typeof body[field] === 'string') errors.push(...findUnstorableText(body[field], field));
  }
  errors.push(...findUnstorableText(props, propsField));
  if (isObject(revenue)) errors.push(...findUnstorableText(revenue, revenueField));

  const external = typeof referrer === 'string' && referrer !== '' ? externalReferrerOf(referrer, pageHost) : null;
  const metadata: Obj = {
    ...(external ? { referrer: external } : {}),
    ...utm,
    ...(isObject(revenue) ? { revenue } : {}),
    ...props,
  };
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > METADATA_MAX_BYTES) fail(propsField, `is ${bytes} bytes once stored; at most 16 KiB (${METADATA_MAX_BYTES} bytes) is kept per event`);

  if (errors.length > 0 || typeof site !== 'string' || action === undefined) return { ok: false, errors };
  if (name === 'engagement') return { ok: true, kind: 'engagement', site };
  return { ok: true, kind: 'event', site, draft: { action, metadata, siteId: site, path: path ?? null } };
}

/** The Plausible field behind a native field the domain names in its errors. */
export const NATIVE_TO_PLAUSIBLE: Record<string, string> = {
  timestamp: 'timestamp',
  action: 'n',
  metadata: 'p',
  site_id: 'd',
  path: 'u',
};
