import { useEffect, useReducer, useRef } from 'preact/hooks';
import { initialPaging, nextRequest, pagingReducer, type Paging, type PagingAction } from './cursor-pages';

export interface CursorPage<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * A list read from the API page by page (cursor pagination). `key` names the filter: when it
 * changes, every request of the previous filter is aborted and the list starts again from the
 * first page. `more()` fetches the next page (ignored while one is on its way or after the
 * last); after a failure it retries the page that failed. `reload()` starts again.
 */
export function useCursorPages<T>(
  load: (cursor: string | undefined, signal: AbortSignal) => Promise<CursorPage<T>>,
  key: string,
): Paging<T> & { more: () => void; reload: () => void } {
  const [state, dispatch] = useReducer<Paging<T>, PagingAction<T>>(pagingReducer, initialPaging<T>());
  const generation = useRef(0);
  const inFlight = useRef<AbortController | null>(null);
  const latest = useRef(state);
  latest.current = state;
  const loadRef = useRef(load);
  loadRef.current = load;

  const fetchPage = (gen: number, cursor: string | null) => {
    const controller = new AbortController();
    inFlight.current = controller;
    dispatch({ type: 'request', generation: gen, cursor });
    loadRef.current(cursor ?? undefined, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        inFlight.current = null;
        dispatch({ type: 'page', generation: gen, cursor, rows: page.data, next: page.next_cursor });
      },
      (error: Error) => {
        if (controller.signal.aborted) return;
        inFlight.current = null;
        dispatch({ type: 'fail', generation: gen, cursor, error });
      },
    );
  };

  const restart = () => {
    inFlight.current?.abort();
    generation.current += 1;
    dispatch({ type: 'reset', generation: generation.current });
    fetchPage(generation.current, null);
  };

  useEffect(() => {
    restart();
    return () => inFlight.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const more = () => {
    // The ref, not the rendered state: a click and the scroll sentinel in the same tick ask once.
    if (inFlight.current) return;
    const cursor = nextRequest(latest.current);
    if (cursor !== undefined) fetchPage(latest.current.generation, cursor);
  };

  return { ...state, more, reload: restart };
}
