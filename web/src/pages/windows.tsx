import { useMemo, useState } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../api/client';
import { missingScope, useAccess } from '../access/access';
import { Card } from '../components/card';
import { LoadMore } from '../components/load-more';
import { isPreset, isoDay, PRESET_LABELS, PRESETS, resolveRange } from '../lib/date-range';
import { formatDateTime, formatDuration, formatExact } from '../lib/format';
import { filterKey, pageSize } from '../lib/list-filters';
import { useCursorPages } from '../lib/use-cursor-pages';
import { useUrlState } from '../lib/url-state';

type Window = Schemas['WindowResponse'];
type Status = Window['status'];
type ComputedWindow = Schemas['ComputedWindowResponse'];

const STATUSES: readonly Status[] = ['open', 'pending', 'computed', 'stale'];

/** What each status means, for the legend and the badges' titles. */
const STATUS_MEANING: Record<Status, string> = {
  open: 'has not ended yet',
  pending: 'ended, has events, never computed',
  computed: 'computed and up to date',
  stale: 'events arrived after it was computed',
};

const TRIGGER_LABELS: Record<NonNullable<Window['trigger']>, string> = { cron: 'cron', http: 'HTTP', cli: 'CLI' };

/** The ledger's query from the page URL: a range preset (or all windows), a status, the order (newest first unless asc), a page size. */
function ledgerQuery(query: Record<string, string>, now: Date) {
  const range = isPreset(query.range) ? resolveRange(query.range, now, { from: query.from, to: query.to }) : undefined;
  const status = STATUSES.find((s) => s === query.status);
  return {
    ...(range ? { from: range.from.toISOString(), till: range.till.toISOString() } : {}),
    ...(status ? { status } : {}),
    order: query.order === 'asc' ? ('asc' as const) : ('desc' as const),
    ...(pageSize(query.limit) !== undefined ? { limit: pageSize(query.limit) } : {}),
  };
}

function StatusBadge(props: { status: Status }) {
  return (
    <span class={`badge status-${props.status}`} title={STATUS_MEANING[props.status]}>
      {props.status}
    </span>
  );
}

function WindowSpan(props: { start: string; end: string }) {
  return (
    <>
      <time dateTime={props.start}>{formatDateTime(props.start)}</time> – <time dateTime={props.end}>{new Date(props.end).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}</time>
    </>
  );
}

/**
 * Metric windows: the ledger of 4-hour windows (GET /api/metrics/windows) with status badges,
 * trigger, duration, users and events, read page by page; "Compute now" and "Backfill range"
 * (POST /api/metrics, admin scope) with the run's result, after which the ledger reloads.
 */
export function Windows() {
  const { query, set } = useUrlState();
  // A preset is resolved when it is chosen, so "last 24 hours" does not move under the pages being read.
  const now = useMemo(() => new Date(), [query.range, query.from, query.to]);
  const filter = ledgerQuery(query, now);
  const paging = useCursorPages<Window>(
    (cursor, signal) => call(api.GET('/api/metrics/windows', { params: { query: { ...filter, cursor } }, signal })),
    filterKey(filter),
  );
  const range = isPreset(query.range) ? query.range : '';

  return (
    <main id="main" class="windows-page">
      <h1>Metric windows</h1>
      <form class="toolbar" aria-label="Filter windows" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="windows-range">Range</label>
          <select
            id="windows-range"
            value={range}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              const today = isoDay(new Date());
              set(value === 'custom' ? { range: value, from: query.from ?? today, to: query.to ?? today } : { range: value, from: undefined, to: undefined });
            }}
          >
            <option value="">All windows</option>
            {PRESETS.map((preset) => (
              <option key={preset} value={preset}>
                {PRESET_LABELS[preset]}
              </option>
            ))}
          </select>
        </div>
        {range === 'custom' && (
          <>
            <div class="field">
              <label for="windows-from">First day (UTC)</label>
              <input id="windows-from" type="date" value={query.from ?? ''} onChange={(e) => set({ from: (e.target as HTMLInputElement).value })} />
            </div>
            <div class="field">
              <label for="windows-to">Last day (UTC)</label>
              <input id="windows-to" type="date" value={query.to ?? ''} onChange={(e) => set({ to: (e.target as HTMLInputElement).value })} />
            </div>
          </>
        )}
        <div class="field">
          <label for="windows-status">Status</label>
          <select id="windows-status" value={query.status ?? ''} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">Any status</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="windows-order">Order</label>
          <select id="windows-order" value={query.order === 'asc' ? 'asc' : 'desc'} onChange={(e) => set({ order: (e.target as HTMLSelectElement).value === 'asc' ? 'asc' : undefined })}>
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </div>
      </form>

      <ComputeActions onDone={paging.reload} defaultRange={filter.from && filter.till ? { from: filter.from, till: filter.till } : undefined} />

      <Card
        title="Window ledger"
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
        empty="No window with events matches these filters."
      >
        {(rows) => (
          <div class="table-scroll">
            <table class="windows-table" aria-busy={paging.status === 'loading' ? 'true' : 'false'}>
              <thead>
                <tr>
                  <th scope="col">Window</th>
                  <th scope="col">Status</th>
                  <th scope="col">Trigger</th>
                  <th scope="col" class="number">
                    Duration
                  </th>
                  <th scope="col" class="number">
                    Users
                  </th>
                  <th scope="col" class="number">
                    Events
                  </th>
                  <th scope="col">Computed at</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((w) => (
                  <tr key={w.window_start} data-window-start={w.window_start}>
                    <th scope="row" class="window">
                      <WindowSpan start={w.window_start} end={w.window_end} />
                    </th>
                    <td class="status">
                      <StatusBadge status={w.status} />
                    </td>
                    <td class="trigger">{w.trigger ? TRIGGER_LABELS[w.trigger] : '—'}</td>
                    <td class="duration number">{w.duration_ms === null ? '—' : formatDuration(w.duration_ms)}</td>
                    <td class="users number">{w.users === null ? '—' : formatExact(w.users)}</td>
                    <td class="events number">{w.events === null ? '—' : formatExact(w.events)}</td>
                    <td class="computed-at">{w.computed_at ? <time dateTime={w.computed_at}>{formatDateTime(w.computed_at)}</time> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <LoadMore paging={paging} noun="windows" />
      <dl class="legend" aria-label="What the statuses mean">
        {STATUSES.map((status) => (
          <div key={status}>
            <dt>
              <StatusBadge status={status} />
            </dt>
            <dd>{STATUS_MEANING[status]}</dd>
          </div>
        ))}
      </dl>
    </main>
  );
}

type RunResult = { kind: 'compute' | 'backfill'; windows: ComputedWindow[]; ms: number } | { kind: 'error'; message: string };

/**
 * "Compute now" (every ended window that is pending or stale) and "Backfill range" (every
 * ended window overlapping the days, whatever its state), both POST /api/metrics with the
 * admin scope. Without it the buttons are disabled and say why.
 */
function ComputeActions(props: { onDone: () => void; defaultRange?: { from: string; till: string } }) {
  const denied = missingScope(useAccess(), 'admin');
  const [busy, setBusy] = useState<'compute' | 'backfill' | null>(null);
  const [result, setResult] = useState<RunResult | null>(null);
  const today = isoDay(new Date());
  const [days, setDays] = useState(() => ({
    from: props.defaultRange ? isoDay(new Date(props.defaultRange.from)) : today,
    to: props.defaultRange ? isoDay(new Date(new Date(props.defaultRange.till).getTime() - 1)) : today,
  }));

  const run = async (kind: 'compute' | 'backfill') => {
    setBusy(kind);
    setResult(null);
    const started = performance.now();
    try {
      const range = kind === 'backfill' ? resolveRange('custom', new Date(), days) : undefined;
      const body = range ? { from: range.from.toISOString(), till: range.till.toISOString() } : {};
      const answer = await call(api.POST('/api/metrics', { body }));
      setResult({ kind, windows: answer.windows, ms: performance.now() - started });
      props.onDone();
    } catch (error) {
      setResult({ kind: 'error', message: error instanceof ApiError ? error.message : String(error) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card compute" aria-labelledby="compute-title">
      <h2 id="compute-title">Compute metrics</h2>
      {denied && (
        <p class="notice" id="compute-denied">
          {denied}
        </p>
      )}
      <div class="compute-actions">
        <div class="compute-now">
          <button type="button" class="primary" disabled={!!denied || busy !== null} aria-describedby={denied ? 'compute-denied' : 'compute-now-help'} onClick={() => run('compute')}>
            {busy === 'compute' ? 'Computing…' : 'Compute now'}
          </button>
          <p class="hint" id="compute-now-help">
            Computes every ended window that is pending or stale.
          </p>
        </div>
        <form
          class="backfill"
          aria-label="Backfill a range"
          onSubmit={(e) => {
            e.preventDefault();
            void run('backfill');
          }}
        >
          <div class="field">
            <label for="backfill-from">Backfill from day (UTC)</label>
            <input id="backfill-from" type="date" required value={days.from} onInput={(e) => setDays({ ...days, from: (e.target as HTMLInputElement).value })} />
          </div>
          <div class="field">
            <label for="backfill-to">Backfill to day (UTC)</label>
            <input id="backfill-to" type="date" required value={days.to} onInput={(e) => setDays({ ...days, to: (e.target as HTMLInputElement).value })} />
          </div>
          <div class="field actions">
            <button type="submit" disabled={!!denied || busy !== null} aria-describedby={denied ? 'compute-denied' : 'backfill-help'}>
              {busy === 'backfill' ? 'Backfilling…' : 'Backfill range'}
            </button>
          </div>
          <p class="hint" id="backfill-help">
            Recomputes every ended window overlapping these days, whatever its state (at most 366 days).
          </p>
        </form>
      </div>
      <div class="run-result" aria-live="polite">
        {result && <RunSummary result={result} />}
      </div>
    </section>
  );
}

function RunSummary(props: { result: RunResult }) {
  const { result } = props;
  if (result.kind === 'error')
    return (
      <p class="error" role="alert">
        {result.message}
      </p>
    );
  const what = result.kind === 'compute' ? 'Compute now' : 'Backfill';
  if (result.windows.length === 0)
    return (
      <p>
        {what}: nothing to compute{result.kind === 'compute' ? ' (no ended window is pending or stale)' : ' (no ended window with events in the range)'}; took{' '}
        {formatDuration(result.ms)}.
      </p>
    );
  const users = result.windows.reduce((sum, w) => sum + w.users, 0);
  const events = result.windows.reduce((sum, w) => sum + w.events, 0);
  return (
    <div>
      <p class="run-summary">
        {what}: <strong data-result="windows">{formatExact(result.windows.length)}</strong> {result.windows.length === 1 ? 'window' : 'windows'} computed,{' '}
        <strong data-result="users">{formatExact(users)}</strong> users (summed over the windows),{' '}
        <strong data-result="events">{formatExact(events)}</strong> events; took <strong data-result="duration">{formatDuration(result.ms)}</strong>.
      </p>
      <details>
        <summary>The windows this run computed</summary>
        <table class="run-windows">
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col" class="number">
                Users
              </th>
              <th scope="col" class="number">
                Events
              </th>
            </tr>
          </thead>
          <tbody>
            {result.windows.map((w) => (
              <tr key={w.window_start} data-window-start={w.window_start}>
                <th scope="row">
                  <WindowSpan start={w.window_start} end={w.window_end} />
                </th>
                <td class="number">{formatExact(w.users)}</td>
                <td class="number">{formatExact(w.events)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
