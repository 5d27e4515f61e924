import { createHmac } from 'node:crypto';
import { isbot } from 'isbot';

/** What an anonymous visitor's user id starts with (then 22 base64url characters: 128 bits). */
export const ANONYMOUS_PREFIX = 'anon-';

/**
 * The user id of a visitor who sent none: an HMAC-SHA-256, under the day's salt, of the site,
 * the client address and the user agent, cut to 128 bits. The same browser on the same
 * network is one user for a UTC day, and a new one the next day; the address is never stored.
 */
export function anonymousVisitorId(salt: Buffer, site: string, address: string, userAgent: string): string {
  const digest = createHmac('sha256', salt).update(`${site}\u0000${address}\u0000${userAgent}`, 'utf8').digest();
  return ANONYMOUS_PREFIX + digest.subarray(0, 16).toString('base64url');
}

/**
 * Whether browser traffic comes from a bot: the `isbot` list (crawlers, headless browsers,
 * monitors, HTTP libraries), or no user agent at all (no browser sends none). For browser
 * routes only: isbot flags server SDKs (posthog-node, analytics-node), whose events are kept.
 */
export function isBrowserBot(userAgent: string | undefined): boolean {
  return userAgent === undefined || userAgent.trim() === '' || isbot(userAgent);
}

/** The UTC day of an instant, as the salts are keyed. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
