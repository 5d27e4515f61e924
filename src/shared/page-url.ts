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
}

/** Null when `url` is not a URL (or a path) at all, or a data: URL. */
export function pageUrlOf(url: string, base: string, keepHash: boolean): PageUrl | null {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return null;
  }
  if (parsed.protocol === 'data:') return null;
  const utm: Record<string, string> = {};
  for (const name of UTM_PARAMETERS) {
    const value = parsed.searchParams.get(name);
    if (value) utm[name] = value;
  }
  return { path: parsed.pathname + (keepHash ? parsed.hash : ''), utm };
}
