import { FieldError } from '../../shared/errors';

/** How far ahead of our clock a (corrected) event time may be: clocks drift, not by hours. */
export const MAX_FUTURE_SKEW_MS = 10 * 60 * 1000;

/**
 * The earliest time an event may have happened: the Unix epoch. Earlier times are client
 * bugs (a zero timestamp, seconds read as milliseconds), also after a sent_at correction.
 */
export const EARLIEST_EVENT_TIME = new Date(0);

/** An event as stored. `userId` is null only for anonymous events (compat ingestion). */
export interface TrackedEvent {
  id: string;
  userId: string | null;
  action: string;
  occurredAt: Date;
  receivedAt: Date;
  metadata: Record<string, unknown>;
  siteId: string | null;
  path: string | null;
}

/** What a client sent, already shape-checked at the edge. */
export interface EventDraft {
  eventId?: string;
  userId: string | null;
  action: string;
  timestamp?: Date;
  sentAt?: Date;
  metadata?: Record<string, unknown>;
  siteId?: string | null;
  path?: string | null;
}

export type EventCreation = { ok: true; event: TrackedEvent } | { ok: false; errors: FieldError[] };

/**
 * Turns a draft into an event received at `receivedAt`. The stored time is the client's
 * timestamp, corrected by the client's clock error when `sentAt` is given:
 * `receivedAt − (sentAt − timestamp)`. Without a timestamp the event happened on receipt.
 */
export function createEvent(draft: EventDraft, receivedAt: Date, newId: () => string, keptSince?: Date): EventCreation {
  let occurredAt = receivedAt;
  if (draft.timestamp) {
    occurredAt = draft.sentAt
      ? new Date(receivedAt.getTime() - (draft.sentAt.getTime() - draft.timestamp.getTime()))
      : draft.timestamp;
  }
  if (occurredAt < EARLIEST_EVENT_TIME) {
    return {
      ok: false,
      errors: [
        {
          path: 'timestamp',
          message: draft.sentAt
            ? 'lies before 1970-01-01T00:00:00Z once corrected by sent_at (is sent_at from a wrong clock?)'
            : 'must not be before 1970-01-01T00:00:00Z',
        },
      ],
    };
  }
  if (keptSince && occurredAt < keptSince) {
    return {
      ok: false,
      errors: [{ path: 'timestamp', message: `is older than the retention period (events before ${keptSince.toISOString()} are not kept)` }],
    };
  }
  if (occurredAt.getTime() - receivedAt.getTime() > MAX_FUTURE_SKEW_MS) {
    return {
      ok: false,
      errors: [
        {
          path: 'timestamp',
          message: draft.sentAt
            ? 'lies more than 10 minutes in the future once corrected by sent_at'
            : 'must not be more than 10 minutes in the future',
        },
      ],
    };
  }
  return {
    ok: true,
    event: {
      id: draft.eventId?.toLowerCase() ?? newId(),
      userId: draft.userId,
      action: draft.action,
      occurredAt,
      receivedAt,
      metadata: draft.metadata ?? {},
      siteId: draft.siteId ?? null,
      path: draft.path ?? null,
    },
  };
}

/**
 * Whether a re-sent event (same id) says what the stored one says. Only what the client
 * chose is compared: a time the server filled in (no timestamp) or derived from its own
 * receipt (sent_at correction) differs on every retry, so it does not count.
 */
export function sameContent(stored: TrackedEvent, sent: TrackedEvent, draft: EventDraft): boolean {
  return (
    stored.userId === sent.userId &&
    stored.action === sent.action &&
    stored.siteId === sent.siteId &&
    stored.path === sent.path &&
    (!draft.timestamp || Boolean(draft.sentAt) || stored.occurredAt.getTime() === sent.occurredAt.getTime()) &&
    sameJson(stored.metadata, sent.metadata)
  );
}

/** Deep equality of JSON values, ignoring key order (PostgreSQL's jsonb reorders keys). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((item, i) => sameJson(item, (b as unknown[])[i]));
  const keysA = Object.keys(a), keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
