import { randomBytes } from 'node:crypto';
import { ANONYMOUS_PREFIX, anonymousVisitorId, isBrowserBot, utcDay } from './anonymous-visitor';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('anonymous visitor ids', () => {
  const salt = randomBytes(32);
  it('are one id per site, address and user agent under a salt, 128 bits, never containing the address', () => {
    const id = anonymousVisitorId(salt, 'shop', '203.0.113.7', CHROME);
    expect(id).toMatch(new RegExp(`^${ANONYMOUS_PREFIX}[A-Za-z0-9_-]{22}$`));
    expect(anonymousVisitorId(salt, 'shop', '203.0.113.7', CHROME)).toBe(id);
    expect(id).not.toContain('203');
    const others = [
      anonymousVisitorId(salt, 'blog', '203.0.113.7', CHROME),
      anonymousVisitorId(salt, 'shop', '203.0.113.8', CHROME),
      anonymousVisitorId(salt, 'shop', '203.0.113.7', CHROME.replace('131', '132')),
      anonymousVisitorId(randomBytes(32), 'shop', '203.0.113.7', CHROME),
      // The separator keeps fields apart: "shop" + "1.2…" is not "shop1" + ".2…".
      anonymousVisitorId(salt, 'shop2', '03.0.113.7', CHROME),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
  });

  it('key their salts by the UTC day', () => {
    expect(utcDay(new Date('2026-03-29T23:59:59.999Z'))).toBe('2026-03-29');
    expect(utcDay(new Date('2026-03-30T00:00:00Z'))).toBe('2026-03-30');
  });
});

describe('isBrowserBot', () => {
  it('flags crawlers, headless browsers, HTTP libraries and a missing user agent, not a browser', () => {
    for (const ua of [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      CHROME.replace('Chrome/', 'HeadlessChrome/'),
      'curl/8.5.0',
      'python-requests/2.31.0',
      undefined,
      ' ',
    ]) expect([ua, isBrowserBot(ua)]).toEqual([ua, true]);
    for (const ua of [CHROME, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1']) {
      expect([ua, isBrowserBot(ua)]).toEqual([ua, false]);
    }
  });
});
