import { FieldError } from '../../shared/errors';
import { findUnstorableText } from '../../shared/http/validate';
import { Fail, isoInstant, present, PRINTABLE, sdkUserId } from '../../shared/sdk-fields';
import { uuidv5 } from '../../shared/uuid';
import { EventDraft } from '../../tracking/domain/tracked-event';

/**
 * Segment's Tracking API messages (track, identify, page, screen, group, alias) mapped onto
 * our events. Pure: no I/O, so every rule is unit-tested here.
 */

export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** Segment's limits: 32 KB per message (a single call or each message of a batch), 500 KB per batch. */
export const MESSAGE_MAX_BYTES = 32 * 1024;
export const BATCH_MAX_BYTES = 500 * 1024;
/** Our own limits, as the native API: metadata at most 16 KiB serialized, ids 1–128, actions 1–100, paths ≤ 2048. */
export const METADATA_MAX_BYTES = 16 * 1024;

/** The fixed namespace of event ids made from Segment messageIds (never change it: retries would stop deduplicating). */
const SEGMENT_NAMESPACE = '3b0f6c2e-7a51-4f0e-9d2c-5e8a1b4c7d90';

/** Actions of the message types; a track's action is its `event`. */
const ACTIONS: Record<Exclude<SegmentType, 'track'>, string> = {
  identify: 'identify',
  page: 'page_view',
  screen: 'screen_view',
  group: 'group',
  alias: 'alias',
};

/**
 * The event id of a message: UUIDv5 of (write key, site, messageId). Segment promises
 * messageIds unique per source (write key) only, so two sources — or two sites of one secret
 * key — may both send "1"; scoping the id to the key and site keeps those apart instead of
 * silently dropping one as a duplicate. The key's id (not its secret) is used; null while the
 * service runs open.
 */
export function segmentEventId(keyId: string | null, siteId: string | null, messageId: string): string {
  return uuidv5(JSON.stringify(['segment', keyId, siteId, messageId]), SEGMENT_NAMESPACE);
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

export type MessageMapping = { ok: true; draft: EventDraft } | { ok: false; errors: FieldError[] };

export interface MessageContext {
  /** The message type a single-message route implies (`/v1/track`); null on /v1/batch, where each message names its own. */
  routeType: SegmentType | null;
  /** The batch's sentAt, already checked (a message's own sentAt wins). */
  batchSentAt?: Date;
  /** The id of the key the request was made with; null in open mode. */
  keyId: string | null;
  /** Where the message sits in the request, for error paths: "" for a single call, "batch[3]." in a batch. */
  at: string;
}

/**
 * Turns one Segment message into an event draft, or the reasons it cannot be stored, each
 * naming the Segment field (`batch[2].userId`).
 *
 * Kept: the user (`userId`, else `anonymousId`, stored as it is), the action, the time
 * (`timestamp`, else `originalTimestamp`, corrected by `sentAt`), the site
 * (`context.site_id`, which an ingest key fills in), the path (`context.page.path`, for a page
 * also `properties.path`), and as metadata: track/page/screen `properties` (+ `name`,
 * `category` of a page or screen), identify `traits`, group `traits` + `groupId`, alias
 * `previousId`. Dropped: the rest of `context` (ip, userAgent, library, locale, campaign…),
 * `integrations`, `_metadata`, and `anonymousId` when a `userId` is given.
 */
export function mapMessage(message: unknown, { routeType, batchSentAt, keyId, at }: MessageContext): MessageMapping {
  const errors: FieldError[] = [];
  const fail = (field: string, text: string) => errors.push({ path: `${at}${field}`, message: text });
  if (!isObject(message)) return { ok: false, errors: [{ path: at ? at.slice(0, -1) : 'body', message: 'must be a JSON object' }] };

  const size = Buffer.byteLength(JSON.stringify(message), 'utf8');
  if (size > MESSAGE_MAX_BYTES) errors.push({ path: at ? at.slice(0, -1) : 'body', message: `is ${size} bytes; a message may be at most 32 KB (${MESSAGE_MAX_BYTES} bytes)` });

  let type: SegmentType | null = routeType;
  if (routeType === null) {
    if (!present(message.type)) fail('type', `is required (one of ${SEGMENT_TYPES.join(', ')})`);
    else if (typeof message.type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(message.type)) fail('type', `must be one of ${SEGMENT_TYPES.join(', ')}`);
    else type = message.type as SegmentType;
  }

  const userId = idOf(message, 'userId', fail);
  const anonymousId = idOf(message, 'anonymousId', fail);
  if (userId === undefined && anonymousId === undefined && !errors.some((e) => /Id$/.test(e.path))) fail('userId', 'or anonymousId is required');

  let action: string | undefined;
  if (type === 'track') {
    if (!present(message.event)) fail('event', 'is required for a track');
    else if (typeof message.event !== 'string' || message.event.length < 1 || message.event.length > 100) fail('event', 'must be a string of 1 to 100 characters');
    else action = message.event;
  } else if (type !== null) action = ACTIONS[type];

  const timestamp = instantOf(message, message.timestamp !== undefined ? 'timestamp' : 'originalTimestamp', fail);
  const sentAt = present(message.sentAt) ? instantOf(message, 'sentAt', fail) : batchSentAt;

  const context = message.context;
  if (present(context) && !isObject(context)) fail('context', 'must be an object');
  const ctx = isObject(context) ? context : {};
  let siteId: string | null = null;
  if (present(ctx.site_id)) {
    if (typeof ctx.site_id !== 'string' || ctx.site_id.length > 128 || !PRINTABLE.test(ctx.site_id)) fail('context.site_id', 'must be a string of at most 128 printable ASCII characters');
    else siteId = ctx.site_id;
  }

  for (const field of ['properties', 'traits'] as const) {
    if (present(message[field]) && !isObject(message[field])) fail(field, 'must be an object');
  }
  const properties = isObject(message.properties) ? message.properties : {};
  const traits = isObject(message.traits) ? message.traits : {};

  let path: string | null = null;
  const page = ctx.page;
  const pathSource: [unknown, string] | null =
    isObject(page) && present(page.path) ? [page.path, 'context.page.path'] : type === 'page' && present(properties.path) ? [properties.path, 'properties.path'] : null;
  if (pathSource) {
    const [value, field] = pathSource;
    if (typeof value !== 'string' || value.length > 2048 || !PRINTABLE.test(value)) fail(field, 'must be a string of at most 2048 printable ASCII characters (a URL path, percent-encoded)');
    else path = value;
  }

  let metadata: Obj = {};
  switch (type) {
    case 'track':
      metadata = { ...properties };
      break;
    case 'page':
    case 'screen':
      metadata = { ...properties, ...named(message, 'name', fail), ...named(message, 'category', fail) };
      break;
    case 'identify':
      metadata = { ...traits };
      break;
    case 'group': {
      const groupId = idOf(message, 'groupId', fail);
      if (groupId === undefined && !errors.some((e) => e.path === `${at}groupId`)) fail('groupId', 'is required for a group');
      metadata = { ...traits, groupId };
      break;
    }
    case 'alias': {
      const previousId = idOf(message, 'previousId', fail);
      if (previousId === undefined && !errors.some((e) => e.path === `${at}previousId`)) fail('previousId', 'is required for an alias');
      metadata = { previousId };
      break;
    }
  }
  // PostgreSQL stores neither NUL nor lone surrogates: refuse them here (400), never a 500.
  for (const field of ['event', 'name', 'category', 'properties', 'traits'] as const) {
    if (present(message[field])) errors.push(...findUnstorableText(message[field], `${at}${field}`));
  }
  const metadataBytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (metadataBytes > METADATA_MAX_BYTES) {
    const field = type === 'identify' || type === 'group' ? 'traits' : 'properties';
    fail(field, `is ${metadataBytes} bytes once stored; at most 16 KiB (${METADATA_MAX_BYTES} bytes) is kept per event`);
  }

  let eventId: string | undefined;
  if (present(message.messageId)) {
    if (typeof message.messageId !== 'string' || message.messageId.length < 1 || message.messageId.length > 1024) fail('messageId', 'must be a string of 1 to 1024 characters');
    else eventId = segmentEventId(keyId, siteId, message.messageId);
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    draft: { eventId, userId: (userId ?? anonymousId)!, action: action!, timestamp, sentAt: timestamp ? sentAt : undefined, metadata, siteId, path },
  };
}

/** A user id field of a message (sdkUserId). */
const idOf = (message: Obj, field: string, fail: Fail): string | undefined => sdkUserId(message[field], field, fail);

/** A date-time field of an object (isoInstant). */
export const instantOf = (holder: Obj, field: string, fail: Fail): Date | undefined => isoInstant(holder[field], field, fail);

function named(message: Obj, field: 'name' | 'category', fail: (field: string, text: string) => void): Obj {
  const value = message[field];
  if (!present(value)) return {};
  if (typeof value !== 'string') {
    fail(field, 'must be a string');
    return {};
  }
  return { [field]: value };
}
