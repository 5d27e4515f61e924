/**
 * The state of a list read page by page from an API cursor (`next_cursor`), as a pure reducer.
 * Every list is tagged with a generation: a filter change (or a reload) starts a new one, and a
 * page that answers for an older generation — or for a cursor the list no longer waits for —
 * is dropped, so rows of a previous filter can never mix into the current one.
 */
export interface Paging<T> {
  generation: number;
  /** The rows of every page so far, in the API's order. */
  rows: T[];
  /** False until the first page has arrived (nothing to show yet). */
  loaded: boolean;
  /** The cursor of the next page; null once the last page has arrived. */
  next: string | null;
  /** The cursor of the page being fetched (null: the first page), undefined when idle. */
  requested?: string | null;
  status: 'loading' | 'ready' | 'error';
  error?: Error;
  /** Pages received in this generation. */
  pages: number;
}

export type PagingAction<T> =
  | { type: 'reset'; generation: number }
  | { type: 'request'; generation: number; cursor: string | null }
  | { type: 'page'; generation: number; cursor: string | null; rows: T[]; next: string | null }
  | { type: 'fail'; generation: number; cursor: string | null; error: Error };

export function initialPaging<T>(generation = 0): Paging<T> {
  return { generation, rows: [], loaded: false, next: null, requested: null, status: 'loading', pages: 0 };
}

export function pagingReducer<T>(state: Paging<T>, action: PagingAction<T>): Paging<T> {
  if (action.type === 'reset') return initialPaging<T>(action.generation);
  // An answer (or a request) of a previous filter: never applied.
  if (action.generation !== state.generation) return state;
  switch (action.type) {
    case 'request':
      return { ...state, requested: action.cursor, status: 'loading', error: undefined };
    case 'page':
      // Only the page the list is waiting for: a second answer for the same cursor is not appended twice.
      if (state.requested !== action.cursor) return state;
      return {
        ...state,
        rows: state.rows.concat(action.rows),
        loaded: true,
        next: action.next,
        requested: undefined,
        status: 'ready',
        pages: state.pages + 1,
      };
    case 'fail':
      if (state.requested !== action.cursor) return state;
      return { ...state, status: 'error', error: action.error, requested: undefined };
  }
}

/**
 * The cursor to fetch next, or undefined when there is nothing to fetch now (a page is on its
 * way, or the last page has arrived). Null means the first page (again, after it failed).
 */
export function nextRequest<T>(state: Paging<T>): string | null | undefined {
  if (state.status === 'loading' && state.requested !== undefined) return undefined;
  if (!state.loaded) return null;
  return state.next ?? undefined;
}
