import { initialPaging, nextRequest, pagingReducer, type Paging, type PagingAction } from './cursor-pages';

const run = <T>(actions: PagingAction<T>[], start: Paging<T> = initialPaging<T>(1)) => actions.reduce(pagingReducer<T>, start);

describe('cursor paging', () => {
  it('appends pages in order and keeps the next cursor until the last page', () => {
    const state = run<number>([
      { type: 'request', generation: 1, cursor: null },
      { type: 'page', generation: 1, cursor: null, rows: [1, 2], next: 'c2' },
      { type: 'request', generation: 1, cursor: 'c2' },
      { type: 'page', generation: 1, cursor: 'c2', rows: [3], next: null },
    ]);
    expect(state).toMatchObject({ rows: [1, 2, 3], loaded: true, next: null, status: 'ready', pages: 2 });
    expect(nextRequest(state)).toBeUndefined();
  });

  it('drops an answer of a previous generation (an older filter), before and after the new one arrives', () => {
    const state = run<string>([
      { type: 'request', generation: 1, cursor: null },
      { type: 'reset', generation: 2 },
      { type: 'request', generation: 2, cursor: null },
      { type: 'page', generation: 1, cursor: null, rows: ['old'], next: 'x' },
      { type: 'page', generation: 2, cursor: null, rows: ['new'], next: null },
      { type: 'page', generation: 1, cursor: 'x', rows: ['older'], next: null },
      { type: 'fail', generation: 1, cursor: null, error: new Error('late') },
    ]);
    expect(state).toMatchObject({ generation: 2, rows: ['new'], status: 'ready', pages: 1 });
  });

  it('appends an answer only for the cursor it waits for, once', () => {
    const first = run<number>([
      { type: 'request', generation: 1, cursor: null },
      { type: 'page', generation: 1, cursor: null, rows: [1], next: 'c2' },
      { type: 'request', generation: 1, cursor: 'c2' },
    ]);
    const twice = run<number>(
      [
        { type: 'page', generation: 1, cursor: 'c2', rows: [2], next: null },
        { type: 'page', generation: 1, cursor: 'c2', rows: [2], next: null },
        { type: 'page', generation: 1, cursor: null, rows: [1], next: 'c2' },
      ],
      first,
    );
    expect(twice.rows).toEqual([1, 2]);
  });

  it('asks for nothing while a page is on its way, for the first page before any arrived, then for next', () => {
    const start = initialPaging<number>(1);
    expect(nextRequest({ ...start, requested: undefined, status: 'ready' })).toBeNull();
    const waiting = run<number>([{ type: 'request', generation: 1, cursor: null }]);
    expect(nextRequest(waiting)).toBeUndefined();
    const one = run<number>([{ type: 'page', generation: 1, cursor: null, rows: [1], next: 'c2' }], waiting);
    expect(nextRequest(one)).toBe('c2');
  });

  it('keeps the rows after a failed page and retries the same cursor; a failed first page retries the first', () => {
    const failedMore = run<number>([
      { type: 'request', generation: 1, cursor: null },
      { type: 'page', generation: 1, cursor: null, rows: [1], next: 'c2' },
      { type: 'request', generation: 1, cursor: 'c2' },
      { type: 'fail', generation: 1, cursor: 'c2', error: new Error('429') },
    ]);
    expect(failedMore).toMatchObject({ rows: [1], status: 'error', next: 'c2' });
    expect(failedMore.error?.message).toBe('429');
    expect(nextRequest(failedMore)).toBe('c2');

    const failedFirst = run<number>([
      { type: 'request', generation: 1, cursor: null },
      { type: 'fail', generation: 1, cursor: null, error: new Error('503') },
    ]);
    expect(failedFirst).toMatchObject({ loaded: false, status: 'error' });
    expect(nextRequest(failedFirst)).toBeNull();
  });
});
