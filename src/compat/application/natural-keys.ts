import { uuidv5 } from '../../shared/uuid';

/** Namespace of the deterministic event ids of compatibility writes (fixed forever). */
const COMPAT_NAMESPACE = '6f0b8f0e-2f6c-4d8e-9a5b-1c3e7d9a2b41';

/**
 * The systems of seeds/ have no client event id; their natural keys make one, so a retried
 * write is a duplicate (stored once) exactly as the native event_id makes it.
 */
export const eventIdOf = {
  login: (userId: string, loginTime: Date) => uuidv5(`000|login|${userId}|${loginTime.toISOString()}`, COMPAT_NAMESPACE),
  ingestion: (siteId: string, userId: string | null, path: string | null, timestamp: Date) =>
    uuidv5(`001|${JSON.stringify([siteId, userId, path, timestamp.toISOString()])}`, COMPAT_NAMESPACE),
  event: (siteId: string, eventType: string, path: string | null, userId: string | null, timestamp: Date) =>
    uuidv5(`004|${JSON.stringify([siteId, eventType, path, userId, timestamp.toISOString()])}`, COMPAT_NAMESPACE),
};
