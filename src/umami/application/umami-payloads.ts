import { FieldError } from '../../shared/errors';
import { findUnstorableText } from '../../shared/http/validate';
import { externalReferrerOf, pageUrlOf } from '../../shared/page-url';
import { EventDraft } from '../../tracking/domain/tracked-event';

/**
 * What Umami's tracker script and @umami/node send to `POST /api/send` —
 * `{type, payload: {website, url, name, data, id, …}}` — mapped onto our events. Pure: no
 * I/O, so every rule is unit-tested here; the controller adds the user when `id` is absent
 * (the anonymous visitor id) and records the draft.
 */

export const UMAMI_TYPES = ['event', 'identify', 'performance'] as const;
export type UmamiType = (typeof UMAMI_TYPES)[number];

/** Our own limits, as the native API: metadata at most 16 KiB serialized. */
export const METADATA_MAX_BYTES = 16 * 1024;

export type UmamiMapping =
  | {
      ok: true;
      kind: 'event' | 'identify';
      site: string;
      /** Everything but the user, which is `distinctId` or the anonymous visitor's. */
      draft: Omit<EventDraft, 'userId'>;
      /** `payload.id`: Umami's distinct id, stored as the user when given. */
      distinctId: string | undefined;
      /** `payload.ip` / `payload.userAgent`: a server forwarding a visitor's request. */
      client: { ip?: string; userAgent?: string };
    }
  /** Web vitals (`data-performance`): accepted, not stored. */
  | { ok: true; kind: 'performance'; site: string }
  | { ok: false; errors: FieldError[] };

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const present = (value: unknown) => value !== undefined && value !== null;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Turns one Umami request into an event draft, or the reasons it cannot be stored, each
 * naming Umami's field (`payload.url`).
 *
 * Kept: the site (`payload.website`), the action (`page_view` without `name`, else `name`;
 * `identify` for an identify), the path (`url`'s path and fragment, as Umami keeps them; the
 * query string is dropped but for its utm_* parameters), the time (`payload.timestamp`, Unix
 * seconds, else the receipt), the user (`payload.id`), and as metadata `data`, `referrer` (from
 * another site only, without its query, as our tracker keeps it) and the utm_* parameters
 * (`data`'s own keys win). Dropped: hostname, title, screen, language,
 * tag, browser/os/device.
 */
export function mapUmamiSend(body: unknown): UmamiMapping {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  if (!isObject(body)) return { ok: false, errors: [{ path: 'body', message: 'must be a JSON object {"type": …, "payload": {…}}' }] };

  let type: UmamiType | undefined;
  if (!present(body.type)) fail('type', `is required (one of ${UMAMI_TYPES.join(', ')})`);
  else if (typeof body.type !== 'string' || !(UMAMI_TYPES as readonly string[]).includes(body.type)) fail('type', `must be one of ${UMAMI_TYPES.join(', ')}`);
  else type = body.type as UmamiType;

  const payload = body.payload;
  if (!isObject(payload)) {
    fail('payload', present(payload) ? 'must be an object' : 'is required');
    return { ok: false, errors };
  }

  let site: string | undefined;
  const website = payload.website;
  if (!present(website)) {
    const other = present(payload.link) ? 'link' : present(payload.pixel) ? 'pixel' : null;
    fail('payload.website', other ? `is required (Umami's ${other}s are not supported here)` : 'is required: the site the event belongs to');
  } else if (typeof website !== 'string' || website.length < 1 || website.length > 128 || CONTROL.test(website)) {
    fail('payload.website', 'must name the site: a string of 1 to 128 characters');
  } else site = website;

  if (type === 'performance') return errors.length > 0 || !site ? { ok: false, errors } : { ok: true, kind: 'performance', site };

  const text = (field: string, max: number): string | undefined => {
    const value = payload[field];
    if (!present(value)) return undefined;
    if (typeof value !== 'string' || value.length > max) {
      fail(`payload.${field}`, `must be a string of at most ${max} characters`);
      return undefined;
    }
    return value;
  };

  const name = text('name', 100);
  const hostname = text('hostname', 253);
  const referrer = text('referrer', 2048);
  const userAgent = text('userAgent', 1024);
  const ip = text('ip', 64);
  const id = text('id', 128);
  const url = text('url', 8192);

  let path: string | null = null;
  let utm: Record<string, string> = {};
  const baseHost = hostname && !/[/?#@\s]/.test(hostname) ? hostname : null;
  let pageHost = baseHost;
  if (url !== undefined && url !== '') {
    const page = pageUrlOf(url, baseHost, true);
    if (!page) fail('payload.url', 'must be a URL or a path');
    else if (page.path.length > 2048) fail('payload.url', `has a path of ${page.path.length} characters; at most 2048 are kept`);
    else {
      // Umami's own rule: a tracker that sent the string "undefined" has no page.
      path = page.path === '/undefined' ? null : page.path;
      utm = page.utm;
      pageHost = page.host;
    }
  }

  let data: Obj = {};
  if (present(payload.data)) {
    if (!isObject(payload.data)) fail('payload.data', 'must be an object');
    else data = payload.data;
  }

  let timestamp: Date | undefined;
  if (present(payload.timestamp)) {
    const raw = payload.timestamp;
    const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(seconds)) fail('payload.timestamp', 'must be an integer: Unix seconds');
    else timestamp = new Date(seconds * 1000);
  }

  for (const field of ['name', 'id', 'url', 'referrer', 'data'] as const) {
    if (present(payload[field])) errors.push(...findUnstorableText(payload[field], `payload.${field}`));
  }

  const external = referrer ? externalReferrerOf(referrer, pageHost) : null;
  const metadata: Obj = { ...(external ? { referrer: external } : {}), ...utm, ...data };
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > METADATA_MAX_BYTES) fail('payload.data', `is ${bytes} bytes once stored; at most 16 KiB (${METADATA_MAX_BYTES} bytes) is kept per event`);

  if (errors.length > 0 || !site || !type) return { ok: false, errors };
  const kind = type as 'event' | 'identify';
  // Umami's rule: an event with a name is a custom event, without one (or "") a page view.
  const action = kind === 'identify' ? 'identify' : name ? name : 'page_view';
  return {
    ok: true,
    kind,
    site,
    draft: { action, metadata, siteId: site, path, timestamp },
    distinctId: id === '' ? undefined : id,
    client: { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) },
  };
}

/** The Umami field behind a native field the domain names in its errors. */
export const NATIVE_TO_UMAMI: Record<string, string> = {
  timestamp: 'payload.timestamp',
  user_id: 'payload.id',
  action: 'payload.name',
  metadata: 'payload.data',
  site_id: 'payload.website',
  path: 'payload.url',
};
