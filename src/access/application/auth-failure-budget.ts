import { LruCache } from '../../shared/lru-cache';

/** The failure budget is counted in fixed windows of one minute per client address. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; the least recently failing ones are forgotten first. */
const MAX_TRACKED_CLIENTS = 100_000;

/**
 * Counts failed authentications (a key that is unknown or revoked) per client address. Once an
 * address has used up its budget for the current minute it is refused before its key is even
 * looked up, until the minute is over. Memory stays bounded however many addresses fail.
 */
export class AuthFailureBudget {
  private readonly failures = new LruCache<string, { count: number; resetAt: number }>(MAX_TRACKED_CLIENTS);

  /** `limit` failures per minute per address; 0 turns the budget off. */
  constructor(private readonly limit: number) {}

  /** Seconds until the address may try again, or 0 when it still has budget. */
  retryAfter(client: string, now = Date.now()): number {
    if (this.limit === 0) return 0;
    const entry = this.failures.get(client);
    if (!entry || entry.resetAt <= now || entry.count < this.limit) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
  }

  recordFailure(client: string, now = Date.now()): void {
    if (this.limit === 0) return;
    const entry = this.failures.get(client);
    if (!entry || entry.resetAt <= now) this.failures.set(client, { count: 1, resetAt: now + AUTH_FAILURE_WINDOW_MS });
    else entry.count += 1;
  }

  /** Takes back a failure counted ahead of a lookup that found a valid key. */
  forgive(client: string, now = Date.now()): void {
    const entry = this.failures.get(client);
    if (entry && entry.resetAt > now && entry.count > 0) entry.count -= 1;
  }
}
