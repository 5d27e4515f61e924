import { FieldError } from '../../shared/errors';

/** How far ahead of our clock a (corrected) event time may be: clocks drift, not by hours. */
export const MAX_FUTURE_SKEW_MS = 10 * 60 * 1000;

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
export function createEvent(draft: EventDraft, receivedAt: Date, newId: () => string): EventCreation {
  let occurredAt = receivedAt;
  if (draft.timestamp) {
    occurredAt = draft.sentAt
      ? new Date(receivedAt.getTime() - (draft.sentAt.getTime() - draft.timestamp.getTime()))
      : draft.timestamp;
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
