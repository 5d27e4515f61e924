import { createHmac } from 'node:crypto';
import { FieldError } from '../../shared/errors';

/** What an erasure removed. */
export interface ErasureOutcome {
  /** The user's events deleted (each was also taken out of every rollup that counted it). */
  events: number;
  /** The user's per-window metric rows deleted. */
  metricRows: number;
  /** Metric windows whose ledger figures (users, events) the erasure corrected. */
  windows: number;
}

/** The record kept of an erasure: when, by whom, how much; the user only as a keyed hash. */
export interface ErasureRecord {
  id: string;
  erasedAt: Date;
  /** HMAC-SHA-256 of the user id (hex), or null when no hash key is configured. */
  userHash: string | null;
  requestedBy: string;
}

/**
 * The user ids the event routes accept (1 to 128 characters, no NUL, valid Unicode), so that
 * every user who can be stored can be erased. Null when valid.
 */
export function userIdProblem(userId: string): FieldError | null {
  if (userId.length < 1 || userId.length > 128) return { path: 'user_id', message: 'must be 1 to 128 characters long' };
  if (userId.includes('\u0000')) return { path: 'user_id', message: 'must not contain NUL (\\u0000) characters' };
  if (!userId.isWellFormed()) return { path: 'user_id', message: 'must be valid Unicode (it contains a lone surrogate)' };
  return null;
}

/**
 * The user's identity in the erasure record. Keyed (HMAC) because user ids are short and often
 * sequential: an unkeyed SHA-256 of "321" is found by hashing every number. Whoever holds the
 * key can still answer "was user X erased?" by hashing X again.
 */
export function erasureHash(key: string | undefined, userId: string): string | null {
  return key === undefined ? null : createHmac('sha256', key).update(userId, 'utf8').digest('hex');
}

/** The port: removes every trace of a user in one transaction and keeps the record. */
export abstract class UserErasureRepository {
  abstract erase(userId: string, record: ErasureRecord): Promise<ErasureOutcome>;
}
