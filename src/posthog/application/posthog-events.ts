import { FieldError } from '../../shared/errors';
import { findUnstorableText } from '../../shared/http/validate';
import { Fail, isoInstant, present, PRINTABLE, sdkUserId } from '../../shared/sdk-fields';
import { uuidv5 } from '../../shared/uuid';
import { EventDraft } from '../../tracking/domain/tracked-event';

/**
 * PostHog's capture API (what posthog-node and posthog-js send to /batch/, /capture/, /e/,
 * /i/v0/e/) mapped onto our events. Pure: no I/O, so every rule is unit-tested here.
 */

/** Our own limits, as the native API: metadata at most 16 KiB serialized, users 1–128, actions 1–100, paths ≤ 2048. */
export const METADATA_MAX_BYTES = 16 * 1024;
/** At most this many events in one request (the native batch's bound); more is a 413, on which posthog-node halves its batch. */
export const EVENTS_MAX = 1000;

/** The fixed namespace of event ids made from PostHog uuids (never change it: retries would stop deduplicating). */
const POSTHOG_NAMESPACE = '6c1d0f4e-2b7a-4d8e-a5f3-9e0b7c2d4a61';

/**
 * PostHog's own events that have a counterpart among the actions other sources store (the
 * Segment routes use the same names), so that page views and identifies count alike whatever
 * the SDK; every other event keeps its name (`$autocapture`, `$pageleave`, custom events).
 */
export const POSTHOG_ACTIONS: Readonly<Record<string, string>> = {
  $pageview: 'page_view',
  $screen: 'screen_view',
  $identify: 'identify',
  $set: 'identify',
  $create_alias: 'alias',
  $groupidentify: 'group',
  $exception: 'exception',
};

/**
 * Properties never stored in metadata: the project key the SDKs copy into every event
 * (`token`, a secret for a secret key), what is stored in its own column (`distinct_id` is the
 * user, `site_id` the site), and the client's IP address, which this service does not keep.
 */
const DROPPED_PROPERTIES = ['token', 'api_key', 'distinct_id', 'site_id', '$ip'];

/**
 * The event id of a PostHog event: UUIDv5 of (key, site, uuid). The SDKs make uuids as UUIDv7,
 * unique in practice, but a client may send any: scoped to the key and site (as the Segment
 * routes scope messageIds), a uuid sent with one key or for one site can never make another's
 * event a "duplicate" and drop it — a public ingest key, which anyone can copy, cannot
 * pre-empt the events of another site. The key's id (not its secret) is used; null while the
 * service runs open.
 */
export function posthogEventId(keyId: string | null, siteId: string | null, uuid: string): string {
  return uuidv5(JSON.stringify(['posthog', keyId, siteId, uuid]), POSTHOG_NAMESPACE);
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A time the `offset` form is anchored on: only the difference to sent_at matters (see mapEvent). */
const OFFSET_ANCHOR_MS = Date.UTC(2000, 0, 1);

/** The events of a request and where each sits in it (for error paths), in PostHog's three shapes. */
export type RequestEvents = { ok: true; events: Array<{ event: unknown; at: string }>; sentAt?: unknown; at: string } | { ok: false; errors: FieldError[] };

/**
 * Every shape PostHog's capture endpoints take, on each of them: a batch `{batch: [...],
 * sent_at}` (posthog-node, posthog-js), an array of events (older posthog-js), or one event.
 */
export function eventsOf(body: unknown): RequestEvents {
  if (Array.isArray(body)) return { ok: true, events: body.map((event, index) => ({ event, at: `[${index}].` })), at: '' };
  if (!isObject(body)) return { ok: false, errors: [{ path: 'body', message: 'must be a JSON object (an event, or {"batch": [...]}) or an array of events' }] };
  if (present(body.batch)) {
    if (!Array.isArray(body.batch)) return { ok: false, errors: [{ path: 'batch', message: 'must be an array of events' }] };
    return { ok: true, events: body.batch.map((event, index) => ({ event, at: `batch[${index}].` })), sentAt: body.sent_at, at: 'batch' };
  }
  return { ok: true, events: [{ event: body, at: '' }], at: '' };
}

export type EventMapping = { ok: true; draft: EventDraft; timeFrom: 'timestamp' | 'offset' | null } | { ok: false; errors: FieldError[] };

export interface EventContext {
  /** The request's sent_at, already checked (an event's own sent_at wins). */
  requestSentAt?: Date;
  /** The id of the key the request was made with; null in open mode. */
  keyId: string | null;
  /** Where the event sits in the request, for error paths: "" for a single event, "batch[3]." in a batch. */
  at: string;
}

/**
 * Turns one PostHog event into an event draft, or the reasons it cannot be stored, each
 * naming the PostHog field (`batch[2].distinct_id`).
 *
 * Kept: the user (`distinct_id`, else `properties.distinct_id` as posthog-js sends it), the
 * action (the event's name; `$pageview`, `$screen`, `$identify`/`$set`, `$create_alias`,
 * `$groupidentify`, `$exception` as page_view, screen_view, identify, alias, group,
 * exception), the time (`timestamp` corrected by `sent_at` — else `now − offset` — as
 * PostHog does; `$ignore_sent_at` honoured), the site (`properties.site_id`, which an ingest
 * key fills in), the path (of `$current_url`, else `$pathname`), the properties as metadata,
 * and for an identify the person properties (`$set`, `$set_once` of the event or its
 * properties) merged in. Dropped: `token`/`api_key`, `$ip`, the top-level `$set`/`$set_once`
 * of other events, and anything else outside `properties`.
 */
export function mapEvent(event: unknown, { requestSentAt, keyId, at }: EventContext): EventMapping {
  const errors: FieldError[] = [];
  const fail = (field: string, text: string) => errors.push({ path: `${at}${field}`, message: text });
  if (!isObject(event)) return { ok: false, errors: [{ path: at ? at.slice(0, -1) : 'body', message: 'must be a JSON object (an event)' }] };

  if (present(event.properties) && !isObject(event.properties)) fail('properties', 'must be an object');
  const properties = isObject(event.properties) ? event.properties : {};

  const userSource: [unknown, string] = present(event.distinct_id) ? [event.distinct_id, 'distinct_id'] : [properties.distinct_id, 'properties.distinct_id'];
  const userId = sdkUserId(userSource[0], userSource[1], fail);
  if (userId === undefined && !errors.some((e) => e.path.endsWith('distinct_id'))) fail('distinct_id', 'is required (the user: a string of 1 to 128 printable ASCII characters)');

  let action: string | undefined;
  if (!present(event.event)) fail('event', 'is required (the event name)');
  else if (typeof event.event !== 'string' || event.event.length < 1) fail('event', 'must be a non-empty string');
  else {
    action = POSTHOG_ACTIONS[event.event] ?? event.event;
    if (action.length > 100) fail('event', 'must be at most 100 characters (the longest action stored)');
  }

  const timestamp = instantOf(event, 'timestamp', fail);
  const ownSentAt = present(event.sent_at) ? instantOf(event, 'sent_at', fail) : undefined;
  const sentAt = properties.$ignore_sent_at === true ? undefined : (ownSentAt ?? requestSentAt);
  let offset: number | undefined;
  if (present(event.offset)) {
    if (typeof event.offset !== 'number' || !Number.isFinite(event.offset)) fail('offset', 'must be a number of milliseconds');
    else offset = event.offset;
  }
  // PostHog's rule: a timestamp with sent_at is corrected by the client's clock error; else an
  // offset means "offset ms before it arrived"; else the timestamp as sent; else arrival.
  // Our correction, received − (sentAt − timestamp), gives received − offset from any pair
  // offset apart.
  let time: { timestamp?: Date; sentAt?: Date; from: 'timestamp' | 'offset' | null } = { from: null };
  if (timestamp && sentAt) time = { timestamp, sentAt, from: 'timestamp' };
  else if (offset !== undefined) time = { timestamp: new Date(OFFSET_ANCHOR_MS), sentAt: new Date(OFFSET_ANCHOR_MS + offset), from: 'offset' };
  else if (timestamp) time = { timestamp, from: 'timestamp' };

  let siteId: string | null = null;
  if (present(properties.site_id)) {
    if (typeof properties.site_id !== 'string' || properties.site_id.length > 128 || !PRINTABLE.test(properties.site_id)) {
      fail('properties.site_id', 'must be a string of at most 128 printable ASCII characters');
    } else siteId = properties.site_id;
  }

  const path = pathOf(properties, fail);

  const metadata: Obj = {};
  for (const [name, value] of Object.entries(properties)) if (!DROPPED_PROPERTIES.includes(name)) metadata[name] = value;
  if (action === 'identify') {
    // Person properties: on the event (posthog-js) or in its properties (posthog-node); $set wins over $set_once.
    for (const field of ['$set_once', '$set'] as const) {
      if (present(event[field]) && !isObject(event[field])) fail(field, 'must be an object');
      if (isObject(event[field])) metadata[field] = { ...(isObject(metadata[field]) ? metadata[field] : {}), ...event[field] };
    }
  }
  if (action === 'exception') slimException(metadata);

  // PostgreSQL stores neither NUL nor lone surrogates: refuse them here (400), never a 500.
  for (const field of ['event', 'properties', '$set', '$set_once'] as const) {
    if (present(event[field])) errors.push(...findUnstorableText(event[field], `${at}${field}`));
  }
  const metadataBytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (metadataBytes > METADATA_MAX_BYTES) fail('properties', `is ${metadataBytes} bytes once stored; at most 16 KiB (${METADATA_MAX_BYTES} bytes) is kept per event`);

  let eventId: string | undefined;
  if (present(event.uuid)) {
    if (typeof event.uuid !== 'string' || event.uuid.length < 1 || event.uuid.length > 128) fail('uuid', 'must be a string of 1 to 128 characters');
    else eventId = posthogEventId(keyId, siteId, event.uuid);
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    draft: { eventId, userId: userId!, action: action!, timestamp: time.timestamp, sentAt: time.sentAt, metadata, siteId, path },
    timeFrom: time.from,
  };
}

/** A date-time field of an object (isoInstant). */
export const instantOf = (holder: Obj, field: string, fail: Fail): Date | undefined => isoInstant(holder[field], field, fail);

/**
 * The path of an event: the path of `$current_url` (a full URL, as posthog-js sends it, or a
 * bare path), else `$pathname`; without query or fragment, as the Segment routes' page path.
 */
function pathOf(properties: Obj, fail: (field: string, text: string) => void): string | null {
  const source: [unknown, string] | null = present(properties.$current_url)
    ? [properties.$current_url, 'properties.$current_url']
    : present(properties.$pathname)
      ? [properties.$pathname, 'properties.$pathname']
      : null;
  if (!source) return null;
  const [value, field] = source;
  if (typeof value !== 'string') {
    fail(field, 'must be a string (a URL or a path)');
    return null;
  }
  let path: string | null = null;
  if (value.startsWith('/')) path = value.split(/[?#]/)[0];
  else {
    try {
      path = new URL(value).pathname;
    } catch {
      path = null;
    }
  }
  if (path === null) {
    fail(field, 'must be an absolute URL or a path starting with /');
    return null;
  }
  if (path.length > 2048 || !PRINTABLE.test(path)) {
    fail(field, 'must give a path of at most 2048 printable ASCII characters (percent-encoded)');
    return null;
  }
  return path;
}

/**
 * An exception event keeps what says which error it was — the first exception's type and
 * message, and the level — not its stack frames, which alone often pass the 16 KiB kept per
 * event and would get the whole event refused.
 */
function slimException(metadata: Obj): void {
  const list = metadata.$exception_list;
  if (!Array.isArray(list)) return;
  delete metadata.$exception_list;
  const first = list[0];
  if (isObject(first)) {
    if (typeof first.type === 'string') metadata.$exception_type = first.type.slice(0, 1024);
    if (typeof first.value === 'string') metadata.$exception_message = first.value.slice(0, 4096);
  }
  metadata.$exception_count = list.length;
}
