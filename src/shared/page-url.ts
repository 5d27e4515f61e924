/**
 * The page URL a browser tracker sends (Umami's `url`, Plausible's `u`), split into what is
 * stored: the path (percent-encoded, as the URL holds it) and the campaign parameters. The
 * rest of the query string is dropped: it fragments the top-paths report and often carries
 * what must not be kept (tokens, e-mail addresses, click ids).
 */
export const UTM_PARAMETERS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

export interface PageUrl {
  /** The path, with the fragment when `keepHash` (hash-routed single-page apps). */
  path: string;
  /** The utm_* parameters of the query string that have a value. */
  utm: Record<string, string>;
  /** The page's host: the URL's own, else `baseHost`; null when neither says. */
  host: string | null;
}

/**
 * Null when `url` is not a URL (or a path) at all, or a data: URL. A path is read on
 * `baseHost` (Umami's `hostname`) when given.
 */
export function pageUrlOf(url: string, baseHost: string | null, keepHash: boolean): PageUrl | null {
  let parsed: URL;
  let absolute = true;
  try {
    parsed = new URL(url);
  } catch {
    absolute = false;
    try {
      parsed = new URL(url, `https://${baseHost ?? 'localhost'}`);
    } catch {
      return null;
    }
  }
  if (parsed.protocol === 'data:') return null;
  const utm: Record<string, string> = {};
  for (const name of UTM_PARAMETERS) {
    const value = parsed.searchParams.get(name);
    if (value) utm[name] = value;
  }
  return { path: parsed.pathname + (keepHash ? parsed.hash : ''), utm, host: absolute ? parsed.host || null : baseHost };
}

/**
 * The referrer as stored, as our own tracker stores it: only when the visitor came from another
 * site (not the page's own host), without its query string or fragment (they carry search
 * terms, tokens, e-mail addresses). Null for none, for the page's own site, and for what is not
 * an http(s) URL.
 */
export function externalReferrerOf(referrer: string, pageHost: string | null): string | null {
  let parsed: URL;
  try {
    parsed = new URL(referrer);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (pageHost !== null && parsed.host.toLowerCase() === pageHost.toLowerCase()) return null;
  return parsed.origin + parsed.pathname;
}
