import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import { Card } from '../components/card';
import { LoadMore } from '../components/load-more';
import { formatDateTime } from '../lib/format';
import { eventsQuery, filterKey } from '../lib/list-filters';
import { fromLocalInput, toLocalInput } from '../lib/local-time';
import { useAsync } from '../lib/use-async';
import { useCursorPages } from '../lib/use-cursor-pages';
import { useUrlState } from '../lib/url-state';

type TrackedEvent = Schemas['EventResponse'];

const userHref = (userId: string) => `/users/${encodeURIComponent(userId)}`;

/** The first characters of an event's metadata, for the table; the dialog shows all of it. */
function metadataPreview(metadata: TrackedEvent['metadata']): string {
  const json = JSON.stringify(metadata ?? {});
  if (json === '{}') return '';
  return json.length > 60 ? `${json.slice(0, 59)}…` : json;
}

interface Draft {
  user_id: string;
  action: string;
  site_id: string;
  from: string;
  till: string;
}

const draftOf = (query: Record<string, string>): Draft => ({
  user_id: query.user_id ?? '',
  action: query.action ?? '',
  site_id: query.site_id ?? '',
  from: toLocalInput(query.from),
  till: toLocalInput(query.till),
});

/**
 * Events (seed 003's "app for querying user events"): filters by user, action, site, time
 * range and order, all in the URL; a table read page by page from the API's cursor as it is
 * scrolled (or with "Load more"); a row opens the event's full JSON; a user links to the user page.
 */
export function Events() {
  const { query, set } = useUrlState();
  const filter = eventsQuery(query);
  const key = filterKey(filter);
  const paging = useCursorPages<TrackedEvent>(
    (cursor, signal) => call(api.GET('/api/events', { params: { query: { ...filter, cursor } }, signal })),
    key,
  );

  const [draft, setDraft] = useState<Draft>(() => draftOf(query));
  // Back, Forward and a followed link change the URL: the form shows what the list shows.
  useEffect(() => setDraft(draftOf(query)), [query.user_id, query.action, query.site_id, query.from, query.till]);
  const [draftError, setDraftError] = useState<string | null>(null);

  const apply = (event?: SubmitEvent, order = query.order) => {
    event?.preventDefault();
    const from = draft.from ? fromLocalInput(draft.from) : undefined;
    const till = draft.till ? fromLocalInput(draft.till) : undefined;
    if ((draft.from && !from) || (draft.till && !till)) {
      setDraftError(`${draft.from && !from ? 'From' : 'Till'} is not a complete date and time.`);
      return;
    }
    setDraftError(null);
    set({ user_id: draft.user_id.trim(), action: draft.action.trim(), site_id: draft.site_id.trim(), from, till, order, event: undefined });
  };
  const field = (name: keyof Draft) => ({
    id: `events-${name}`,
    name,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });

  const opened = query.event;
  const open = (id: string) => set({ event: id });
  const close = () => set({ event: undefined });

  return (
    <main id="main" class="events-page">
      <h1>Events</h1>
      <form class="toolbar" role="search" aria-label="Filter events" onSubmit={apply}>
        <div class="field">
          <label for="events-user_id">User</label>
          <input {...field('user_id')} type="text" autocomplete="off" spellcheck={false} placeholder="any" size={14} />
        </div>
        <div class="field">
          <label for="events-action">Action</label>
          <input {...field('action')} type="text" autocomplete="off" spellcheck={false} placeholder="any" size={14} />
        </div>
        <div class="field">
          <label for="events-site_id">Site</label>
          <input {...field('site_id')} type="text" autocomplete="off" spellcheck={false} placeholder="any" size={14} />
        </div>
        <div class="field">
          <label for="events-from">From (your time)</label>
          <input {...field('from')} type="datetime-local" step={1} />
        </div>
        <div class="field">
          <label for="events-till">Till (excluded)</label>
          <input {...field('till')} type="datetime-local" step={1} />
        </div>
        <div class="field">
          <label for="events-order">Order</label>
          <select
            id="events-order"
            name="order"
            value={query.order === 'asc' ? 'asc' : 'desc'}
            onChange={(e) => apply(undefined, (e.target as HTMLSelectElement).value === 'asc' ? 'asc' : undefined)}
          >
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </div>
        <div class="field actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
        </div>
        <div class="field actions">
          <button
            type="button"
            onClick={() => set({ user_id: undefined, action: undefined, site_id: undefined, from: undefined, till: undefined, order: undefined, event: undefined })}
          >
            Clear
          </button>
        </div>
        {draftError && (
          <p class="error" role="alert">
            {draftError}
          </p>
        )}
      </form>

      <Card
        title="Matching events"
        class="wide"
        minHeight={240}
        state={
          paging.status === 'error' && !paging.loaded
            ? { status: 'error', error: paging.error!, reload: paging.more }
            : paging.loaded
              ? { status: paging.status === 'error' ? 'ready' : paging.status, data: paging.rows }
              : { status: 'loading' }
        }
        isEmpty={(rows) => rows.length === 0}
        empty="No event matches these filters."
      >
        {(rows) => (
          <div class="table-scroll">
            <table class="events-table" aria-busy={paging.status === 'loading' ? 'true' : 'false'}>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">User</th>
                  <th scope="col">Action</th>
                  <th scope="col">Site</th>
                  <th scope="col">Path</th>
                  <th scope="col">Metadata</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((event) => (
                  <tr
                    key={event.id}
                    data-event-id={event.id}
                    class="clickable"
                    onClick={(e) => {
                      // The row is a convenience for the mouse; the button and the link are the keyboard's way.
                      if (!(e.target as HTMLElement).closest('a, button')) open(event.id);
                    }}
                  >
                    <td>
                      <button type="button" class="link-button" aria-haspopup="dialog" onClick={() => open(event.id)} data-open-event={event.id}>
                        <span class="visually-hidden">Show event at </span>
                        <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
                      </button>
                    </td>
                    <td class="user">
                      {event.user_id === null ? <span class="muted">anonymous</span> : <a href={userHref(event.user_id)}>{event.user_id}</a>}
                    </td>
                    <td class="action">{event.action}</td>
                    <td class="site">{event.site_id ?? ''}</td>
                    <td class="path">{event.path ?? ''}</td>
                    <td class="metadata">
                      <code>{metadataPreview(event.metadata)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <LoadMore paging={paging} noun="events" />
      {opened && <EventDialog id={opened} known={paging.rows.find((e) => e.id === opened)} onClose={close} />}
    </main>
  );
}

/**
 * One event's full JSON in a modal <dialog>: Escape or "Close" closes it and focus goes back
 * to what opened it. The event comes from the loaded rows; a link straight to it (a bookmark
 * with ?event=) fetches it by id.
 */
function EventDialog(props: { id: string; known?: TrackedEvent; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  // Set while the dialog goes away with the page (a link followed, Back): its close is not the reader's.
  const leaving = useRef(false);
  const fetched = useAsync<TrackedEvent | undefined>(
    (signal) => (props.known ? Promise.resolve(props.known) : call(api.GET('/api/events/{id}', { params: { path: { id: props.id } }, signal }))),
    [props.id, props.known === undefined],
  );
  const event = props.known ?? fetched.data;

  useEffect(() => {
    const element = dialog.current!;
    leaving.current = false;
    opener.current = document.activeElement;
    element.showModal();
    return () => {
      leaving.current = true;
      if (element.open) element.close();
      const back = opener.current as HTMLElement | null;
      const target = back?.isConnected ? back : document.querySelector<HTMLElement>(`[data-open-event="${CSS.escape(props.id)}"]`);
      target?.focus();
    };
  }, [props.id]);

  return (
    <dialog
      ref={dialog}
      class="json-dialog"
      aria-labelledby="event-dialog-title"
      onClose={() => !leaving.current && props.onClose()}
      onClick={(e) => {
        // A click on the backdrop (outside the box) closes, as people expect of a modal.
        if (e.target === dialog.current) dialog.current?.close();
      }}
    >
      <div class="dialog-box">
        <header>
          <h2 id="event-dialog-title">Event {props.id}</h2>
          <button type="button" onClick={() => dialog.current?.close()} autofocus>
            Close
          </button>
        </header>
        {event ? (
          <>
            {event.user_id !== null && (
              <p>
                User <a href={userHref(event.user_id)}>{event.user_id}</a> · <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
              </p>
            )}
            <pre class="json" tabIndex={0} aria-label="The event as JSON">
              {JSON.stringify(event, null, 2)}
            </pre>
          </>
        ) : fetched.status === 'error' ? (
          <p class="error" role="alert">
            {fetched.error.message}
          </p>
        ) : (
          <p aria-busy="true">Loading…</p>
        )}
      </div>
    </dialog>
  );
}
