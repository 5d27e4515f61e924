import { FieldError } from '../../shared/errors';
import { findUnstorableText } from '../../shared/http/validate';
import { parseInstant } from '../../shared/time';
import { isUuid, uuidv5 } from '../../shared/uuid';
import { EventDraft } from '../../tracking/domain/tracked-event';

/**
 * What our browser tracker (/t.js) sends to POST /api/collect, mapped onto our events. Pure:
 * no I/O, so every rule is unit-tested here.
 *
 * `{"site": "shop", "sent_at": 1764594420123, "events": [{"id": "<uuid>", "type": "pageview",
 * "url": "https://shop.example/pricing?utm_source=x", "referrer": "https://www.google.com/",
 * "ts": 1764594420000}, {"id": "…", "type": "event", "name": "signup", "props": {"plan": "pro"},
 * "url": "…", "ts": …, "user_id": "user-42"}, {"id": "…", "type": "identify", "user_id": "user-42", …}]}`
 */

export const TRACKER_TYPES = ['pageview', 'event', 'identify'] as const;
export type TrackerType = (typeof TRACKER_TYPES)[number];

/** sendBeacon refuses bodies over 64 KiB in every browser; the route takes no more. */
export const COLLECT_MAX_BYTES = 64 * 1024;
export const COLLECT_MAX_EVENTS = 100;
/** As the native API: metadata at most 16 KiB serialized, ids 1–128, actions 1–100, paths ≤ 2048. */
export const METADATA_MAX_BYTES = 16 * 1024;
export const URL_MAX_LENGTH = 8192;

/** The fixed namespace of the event ids made from the tracker's ids (never change it: retries would stop deduplicating). */
const TRACKER_NAMESPACE = '6f1d3a52-0c47-4b8e-a1f3-2d9e7c5b4a18';

/** Actions of the types; an event's action is its `name`. */
const ACTIONS: Record<Exclude<TrackerType, 'event'>, string> = { pageview: 'page_view', identify: 'identify' };

/** Query parameters kept (as metadata) from a page view's URL; the rest of the query is dropped. */
const KEPT_QUERY = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

const BODY_FIELDS = new Set(['site', 'sent_at', 'events']);
const EVENT_FIELDS = new Set(['id', 'type', 'name', 'url', 'referrer', 'props', 'user_id', 'ts']);

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const present = (value: unknown) => value !== undefined && value !== null;

/**
 * The stored id of a tracker event: UUIDv5 of (site, the tracker's id). The tracker makes a
 * random UUID per event and sends it again on every retry, so a retry is a duplicate; scoping
 * it to the site keeps a page of one site from claiming the ids of another's events.
 */
export function trackerEventId(site: string, id: string): string {
  return uuidv5(JSON.stringify(['tracker', site, id.toLowerCase()]), TRACKER_NAMESPACE);
}

export interface CollectRequest {
  site: string;
  /** The client's clock when it sent the request, corrects every event's `ts`. */
  sentAt?: Date;
  events: unknown[];
}

/**
 * Checks the envelope: `site`, `sent_at`, `events` (1–100). Errors here refuse the whole
 * request (nothing stored); each event is mapped on its own by mapTrackerEvent.
 */
export function readCollectRequest(body: unknown): { ok: true; request: CollectRequest } | { ok: false; errors: FieldError[] } {
  if (!isObject(body)) return { ok: false, errors: [{ path: 'body', message: 'must be a JSON object with site and events' }] };
  const errors: FieldError[] = [];
  for (const field of Object.keys(body)) if (!BODY_FIELDS.has(field)) errors.push({ path: field, message: 'is not a known field (site, sent_at, events)' });
  const site = body.site;
  if (typeof site !== 'string' || site.length < 1 || site.length > 128 || /[\u0000-\u001f\u007f]/.test(site) || !site.isWellFormed()) {
    errors.push({ path: 'site', message: 'must name the site: a string of 1 to 128 characters without control characters' });
  }
  const sentAt = present(body.sent_at) ? instantOf(body.sent_at, 'sent_at', errors) : undefined;
  const events = body.events;
  if (!Array.isArray(events) || events.length < 1 || events.length > COLLECT_MAX_EVENTS) {
    errors.push({ path: 'events', message: `must be an array of 1 to ${COLLECT_MAX_EVENTS} events` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, request: { site: site as string, sentAt, events: events as unknown[] } };
}

export type TrackerMapping = { ok: true; draft: EventDraft } | { ok: false; errors: FieldError[] };

/**
 * Turns one tracker event into an event draft, or the reasons it cannot be stored, each naming
 * the field (`events[2].name`).
 *
 * - user: `user_id` (set by identify()), else `anonymousId` (the day's hash of the visitor);
 * - action: `page_view` for a pageview, `identify` for an identify, the `name` of an event;
 * - time: `ts` corrected by the request's `sent_at` (as the native batch does); receipt time without `ts`;
 * - path: the URL's path (and its fragment, which the tracker sends only with data-hash);
 * - metadata: an event's or identify's `props` as sent; a page view's utm_* parameters and its
 *   referrer when it is another site's, both without their query and fragment.
 * The rest of the URL's query, and the visitor's address, are never stored.
 */
export function mapTrackerEvent(event: unknown, { site, sentAt, anonymousId, at }: { site: string; sentAt?: Date; anonymousId: string; at: string }): TrackerMapping {
  if (!isObject(event)) return { ok: false, errors: [{ path: at, message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ path: `${at}.${field}`, message });
  for (const field of Object.keys(event)) if (!EVENT_FIELDS.has(field)) fail(field, `is not a known field (${[...EVENT_FIELDS].join(', ')})`);

  if (typeof event.id !== 'string' || !isUuid(event.id)) fail('id', 'is required: a UUID the client made for this event (sent again unchanged on a retry)');

  let type: TrackerType | undefined;
  if (typeof event.type !== 'string' || !(TRACKER_TYPES as readonly string[]).includes(event.type)) fail('type', `must be one of ${TRACKER_TYPES.join(', ')}`);
  else type = event.type as TrackerType;

  let action: string | undefined = type && type !== 'event' ? ACTIONS[type] : undefined;
  if (type === 'event') {
    if (typeof event.name !== 'string' || event.name.length < 1 || event.name.length > 100) fail('name', 'must be a string of 1 to 100 characters (the action)');
    else action = event.name;
  } else if (type && present(event.name)) fail('name', `is only taken on an event (the action of a ${type} is fixed)`);

  let userId: string | undefined;
  if (present(event.user_id)) {
    if (typeof event.user_id === 'number' && Number.isSafeInteger(event.user_id)) userId = String(event.user_id);
    else if (typeof event.user_id !== 'string' || event.user_id.length < 1 || event.user_id.length > 128) fail('user_id', 'must be a string of 1 to 128 characters or an integer');
    else userId = event.user_id;
  }
  if (type === 'identify' && userId === undefined && !errors.some((e) => e.path === `${at}.user_id`)) fail('user_id', 'is required on an identify');

  const timestamp = present(event.ts) ? instantOf(event.ts, `${at}.ts`, errors) : undefined;

  let url: URL | undefined;
  if (present(event.url)) {
    url = typeof event.url === 'string' && event.url.length <= URL_MAX_LENGTH ? parseUrl(event.url) : undefined;
    if (!url) fail('url', `must be an absolute http(s) URL of at most ${URL_MAX_LENGTH} characters (the page's location)`);
  } else if (type === 'pageview') fail('url', 'is required on a pageview');
  let path: string | null = null;
  if (url) {
    path = url.pathname + url.hash;
    if (path.length > 2048) fail('url', 'has a path (with its fragment) over 2048 characters');
  }

  let referrer: string | undefined;
  if (present(event.referrer) && event.referrer !== '') {
    const parsed = typeof event.referrer === 'string' && event.referrer.length <= URL_MAX_LENGTH ? parseUrl(event.referrer) : undefined;
    if (!parsed) fail('referrer', `must be an absolute http(s) URL of at most ${URL_MAX_LENGTH} characters, or empty`);
    // A referrer on the page's own host is a navigation inside the site: not a source.
    else if (!url || parsed.host !== url.host) referrer = parsed.origin + parsed.pathname;
  }

  let props: Obj = {};
  if (present(event.props)) {
    if (!isObject(event.props)) fail('props', 'must be an object');
    else if (type === 'pageview') fail('props', 'is taken on an event or identify, not on a pageview');
    else {
      props = event.props;
      errors.push(...findUnstorableText(props, `${at}.props`));
    }
  }
  if (typeof event.name === 'string') errors.push(...findUnstorableText(event.name, `${at}.name`));
  if (typeof event.user_id === 'string') errors.push(...findUnstorableText(event.user_id, `${at}.user_id`));

  let metadata: Obj = props;
  if (type === 'pageview') {
    metadata = {};
    for (const name of KEPT_QUERY) {
      const value = url?.searchParams.get(name);
      if (value) metadata[name] = value.slice(0, 256);
    }
    if (referrer !== undefined) metadata.referrer = referrer.slice(0, 2048);
    errors.push(...findUnstorableText(metadata, `${at}.url`));
  }
  const metadataBytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (metadataBytes > METADATA_MAX_BYTES) fail('props', `is ${metadataBytes} bytes once stored; at most 16 KiB (${METADATA_MAX_BYTES} bytes) is kept per event`);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    draft: {
      eventId: trackerEventId(site, event.id as string),
      userId: userId ?? anonymousId,
      action: action!,
      timestamp,
      sentAt: timestamp ? sentAt : undefined,
      metadata,
      siteId: site,
      path,
    },
  };
}

/** The native field behind a draft field the domain names in its errors (a time too far ahead, say). */
export const NATIVE_TO_TRACKER: Record<string, string> = { timestamp: 'ts', sent_at: 'sent_at', user_id: 'user_id', action: 'name', metadata: 'props', path: 'url' };

/** An instant as the tracker sends it — milliseconds since the epoch — or an ISO 8601 date-time with a zone. */
function instantOf(value: unknown, path: string, errors: FieldError[]): Date | undefined {
  let instant: Date | null = null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 253_402_300_799_999) instant = new Date(value);
  else if (typeof value === 'string') instant = parseInstant(value);
  if (!instant) {
    errors.push({ path, message: 'must be milliseconds since 1970-01-01T00:00:00Z (an integer) or an ISO 8601 date-time with a time zone' });
    return undefined;
  }
  return instant;
}

function parseUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
