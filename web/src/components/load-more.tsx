import { useEffect, useRef } from 'preact/hooks';
import type { Paging } from '../lib/cursor-pages';

/**
 * The end of a paged list: fetches the next page when it scrolls into view (an
 * IntersectionObserver on this element), and offers a "Load more" button for keyboards, for
 * browsers that do not scroll, and for tests. It says how many rows are shown and whether
 * more exist, and words a failed page with a way to retry.
 */
/** How far below the fold the next page starts loading. */
const AHEAD_PX = 300;

const inReach = (element: HTMLElement) => element.getBoundingClientRect().top <= window.innerHeight + AHEAD_PX;

export function LoadMore<T>(props: { paging: Paging<T> & { more: () => void }; noun: string }) {
  const { paging } = props;
  const sentinel = useRef<HTMLDivElement>(null);
  const visible = useRef(false);
  const more = useRef(paging.more);
  more.current = paging.more;

  useEffect(() => {
    const element = sentinel.current;
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        visible.current = entries.some((entry) => entry.isIntersecting);
        // An entry can be delivered after the rows of the page it was computed before have
        // been added (then the sentinel is far below): trust only where it is now.
        if (visible.current && inReach(element)) more.current();
      },
      { rootMargin: `0px 0px ${AHEAD_PX}px 0px` },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // A page that did not fill the screen leaves the sentinel in view, and the observer does not
  // fire again for an element that stays in view: keep going while it is (measured now, as
  // the observer's last word may predate the rows just added).
  useEffect(() => {
    const element = sentinel.current;
    if (!visible.current || !element || paging.status !== 'ready' || !paging.next) return;
    if (inReach(element)) paging.more();
  }, [paging.status, paging.pages, paging.next]);

  const loadingMore = paging.status === 'loading' && paging.loaded;
  return (
    <div ref={sentinel} class="load-more" data-paging={paging.status} data-pages={paging.pages}>
      {paging.loaded && (
        <p class="hint" role="status">
          {paging.rows.length} {props.noun} shown{paging.next ? '; more to load' : paging.rows.length > 0 ? ', all there are' : ''}
          {loadingMore ? ' (loading…)' : ''}
        </p>
      )}
      {paging.status === 'error' && paging.loaded && (
        <p class="error" role="alert">
          {paging.error?.message}
        </p>
      )}
      {paging.loaded && paging.next && (
        <button type="button" onClick={paging.more} aria-busy={loadingMore ? 'true' : 'false'}>
          {paging.status === 'error' ? 'Retry' : 'Load more'}
        </button>
      )}
    </div>
  );
}
