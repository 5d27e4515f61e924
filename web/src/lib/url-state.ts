import { useLocation } from 'preact-iso';

/**
 * Page state lives in the query string, so every view can be bookmarked and shared.
 * `set` replaces the named parameters (undefined or '' removes one) and keeps the others;
 * by default it replaces the history entry, so typing in a filter does not flood Back.
 */
export function useUrlState(): {
  query: Record<string, string>;
  set: (changes: Record<string, string | undefined>, options?: { push?: boolean }) => void;
} {
  const location = useLocation();
  const set = (changes: Record<string, string | undefined>, options: { push?: boolean } = {}) => {
    const params = new URLSearchParams(location.query);
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined || value === '') params.delete(name);
      else params.set(name, value);
    }
    const search = params.toString();
    location.route(`${location.path}${search ? `?${search}` : ''}`, !options.push);
  };
  return { query: location.query, set };
}
