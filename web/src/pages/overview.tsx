import { useMemo } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, call, type Schemas } from '../api/client';
import { Card } from '../components/card';
import { TimeChart } from '../components/time-chart';
import { RangeControls, useUrlRange } from '../components/range-controls';
import { TimeZoneSelect, useUrlTimeZone, zoneSentence } from '../components/time-zone-select';
import { previousRange, type DateRange, type Preset } from '../lib/date-range';
import { formatChange, formatCompact, formatExact, formatPercent } from '../lib/format';
import { actionRows, activeUserSeries, coversPartialDays, formatRange, siteLabel, siteOptions } from '../lib/overview-data';
import { cssColor } from '../lib/css-color';
import { useAsync, type AsyncState } from '../lib/use-async';
import { useUrlState } from '../lib/url-state';

type OverviewAnswer = Schemas['OverviewResponse'];

export const DEFAULT_PRESET: Preset = '7d';
const TOP_PATHS = 10;

function fetchOverview(range: DateRange, tz: string, siteId: string | undefined, top: number, signal: AbortSignal): Promise<OverviewAnswer> {
  return call(
    api.GET('/api/analytics/overview', {
      params: { query: { from: range.from.toISOString(), till: range.till.toISOString(), tz, site_id: siteId, top } },
      signal,
    }),
  );
}

function fetchActiveUsers(days: { from: string; to: string }, tz: string, siteId: string | undefined, rolling: number | undefined, signal: AbortSignal) {
  return call(api.GET('/api/analytics/active-users', { params: { query: { interval: 'day', ...days, tz, site_id: siteId, rolling } }, signal }));
}

/** The same async state with its data mapped (the cards that read one part of an answer). */
function mapState<T, U>(state: AsyncState<T> & { reload: () => void }, map: (data: T) => U): AsyncState<U> & { reload: () => void } {
  return { ...state, data: state.data === undefined ? undefined : map(state.data) } as AsyncState<U> & { reload: () => void };
}

/** A state whose data may be null (not asked for): null is shown as loading, or as the error. */
function withoutNull<T>(state: AsyncState<T | null> & { reload: () => void }): AsyncState<T> & { reload: () => void } {
  if (state.data !== null) return state as AsyncState<T> & { reload: () => void };
  return state.status === 'error' ? { status: 'error', error: state.error, reload: state.reload } : { status: 'loading', reload: state.reload };
}

/** A figure shortened for people ("1.2K"), its exact value on hover and in `value`. */
function Figure(props: { value: number; class?: string }) {
  return (
    <data class={props.class} value={String(props.value)} title={formatExact(props.value)}>
      {formatCompact(props.value)}
    </data>
  );
}

/** Of the range's users, those first seen in it (new) and those seen before it (returning). */
function NewAndReturning(answer: OverviewAnswer) {
  return (
    <p class="split" title="New: first event ever in this range. Returning: seen before it.">
      <Figure value={answer.new_users} class="new-users" /> new · <Figure value={answer.returning_users} class="returning-users" /> returning
    </p>
  );
}

const ARROWS = { up: '▲', down: '▼', flat: '', new: '' } as const;

function ChangeLine(props: { current: number; previous: number }) {
  const change = formatChange(props.current, props.previous);
  return (
    <p class={`change ${change.direction}`} title={change.description}>
      {ARROWS[change.direction] && <span aria-hidden="true">{ARROWS[change.direction]} </span>}
      <span class="change-text">{change.text}</span> <span class="hint">vs. previous period</span>
      <span class="visually-hidden"> ({change.description})</span>
    </p>
  );
}

function TotalCard(props: {
  title: string;
  state: AsyncState<{ current: OverviewAnswer; previous: OverviewAnswer }> & { reload: () => void };
  pick: (answer: OverviewAnswer) => number;
  detail?: (answer: OverviewAnswer) => ComponentChildren;
}) {
  return (
    <Card title={props.title} state={props.state} minHeight={140}>
      {({ current, previous }) => (
        <>
          <p class="figure">
            <Figure value={props.pick(current)} />
          </p>
          <ChangeLine current={props.pick(current)} previous={props.pick(previous)} />
          {props.detail?.(current)}
        </>
      )}
    </Card>
  );
}

/** DAU, WAU and MAU; the series are built once per answer, so other cards' updates do not redraw it. */
function ActiveUsersChart(props: { series: ReturnType<typeof activeUserSeries> }) {
  const { series } = props;
  const lines = useMemo(
    () => [
      { label: 'DAU', values: series.dau, color: cssColor('--series-1', '#0b5cad') },
      { label: 'WAU (7 days)', values: series.wau, color: cssColor('--series-2', '#b35900'), dash: [6, 4] },
      { label: 'MAU (30 days)', values: series.mau, color: cssColor('--series-3', '#6f42c1'), dash: [2, 3] },
    ],
    [series],
  );
  // The times are the local days' labels at UTC midnight: read in UTC, the axis names those days.
  return <TimeChart caption="Active users per day" times={series.times} series={lines} timeZone="UTC" />;
}

/**
 * The overview: totals with their change against the previous period of equal length, daily
 * active users with rolling WAU and MAU, events by action, top paths and the per-site split.
 * Six requests at most (two overviews, three active-user series, and the unfiltered overview
 * for the split when a site is chosen), whatever the range.
 */
export function Overview() {
  const { query, set } = useUrlState();
  const timeZone = useUrlTimeZone();
  const tz = timeZone.zone;
  const urlRange = useUrlRange(DEFAULT_PRESET, tz);
  const { range, days, key: rangeKey } = urlRange;
  const siteId = query.site_id || undefined;
  const previous = previousRange(range, tz);

  const totals = useAsync(
    (signal) =>
      Promise.all([fetchOverview(range, tz, siteId, TOP_PATHS, signal), fetchOverview(previous, tz, siteId, 1, signal)]).then(([current, previous]) => ({
        current,
        previous,
      })),
    [rangeKey, siteId],
  );
  // The split and the site filter list every site, so with a site chosen they need the
  // unfiltered overview; without one, the filtered overview is that already.
  // (null: no site chosen, nothing fetched; it counts as not loaded yet when a site is.)
  const unfiltered = useAsync(
    (signal): Promise<OverviewAnswer['sites'] | null> => (siteId ? fetchOverview(range, tz, undefined, 1, signal).then((a) => a.sites) : Promise.resolve(null)),
    [rangeKey, siteId],
  );
  const sites = siteId ? withoutNull(unfiltered) : mapState(totals, (answer) => answer.current.sites);
  const active = useAsync(
    (signal) =>
      Promise.all([
        fetchActiveUsers(days, tz, siteId, undefined, signal),
        fetchActiveUsers(days, tz, siteId, 7, signal),
        fetchActiveUsers(days, tz, siteId, 30, signal),
      ]).then(([dau, wau, mau]) => activeUserSeries(dau.data, wau.data, mau.data)),
    [days.from, days.to, tz, siteId],
  );
  const ready = [totals, sites, active].every((state) => state.status !== 'loading');


  return (
    <main id="main" data-ready={ready ? 'true' : 'false'}>
      <h1>Overview</h1>
      <div class="toolbar" role="group" aria-label="Range, time zone and site">
        <RangeControls id="overview" state={urlRange} />
        <TimeZoneSelect id="overview" state={timeZone} />
        <div class="field">
          <label for="overview-site">Site</label>
          <select id="overview-site" value={siteId ?? ''} onChange={(event) => set({ site_id: (event.target as HTMLSelectElement).value }, { push: true })}>
            <option value="">All sites</option>
            {siteOptions(sites.data ?? [], siteId).map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="hint range-note" id="overview-range-note">
        <span data-from={range.from.toISOString()} data-till={range.till.toISOString()}>
          {formatRange(range, tz)}
        </span>
        {siteId ? ` on ${siteId}` : ', all sites'}, compared with {formatRange(previous, tz)}. {zoneSentence(tz)}
      </p>

      <div class="grid">
        <TotalCard title="Events" state={totals} pick={(a) => a.total_events} />
        <TotalCard title="Unique users" state={totals} pick={(a) => a.unique_users} detail={NewAndReturning} />
        <TotalCard title="Page views" state={totals} pick={(a) => a.page_views} />

        <Card title="Active users" class="wide" state={active} minHeight={380} isEmpty={(s) => s.times.length === 0}>
          {(series) => (
            <>
              <p class="hint">
                Per {tz === 'UTC' ? 'UTC day' : `local day of ${tz}`}: users active that day (DAU), in the 7 days (WAU) and in the 30 days (MAU) ending that day, counting days before
                the range.
                {coversPartialDays(range, tz) && ' This range starts or ends inside a day, so the chart shows every day it touches, whole.'}
              </p>
              <ActiveUsersChart series={series} />
            </>
          )}
        </Card>

      </div>
      <div class="grid grid-tables">
        <Card
          title="Events by action"
          state={mapState(totals, (t) => actionRows(t.current.events_by_action))}
          isEmpty={(rows) => rows.length === 0}
          empty="No events in this range."
          minHeight={220}
        >
          {(rows) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col" class="number">
                    Events
                  </th>
                  <th scope="col" class="number">
                    Share
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.action}>
                    <th scope="row">{row.action}</th>
                    <td class="number">
                      <Figure value={row.events} />
                    </td>
                    <td class="number share">
                      <span class="share-track" aria-hidden="true">
                        <span class="share-bar" style={{ width: `${Math.round(row.share * 100)}%` }} />
                      </span>
                      {formatPercent(row.share)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <Card
          title="Top paths"
          state={mapState(totals, (t) => t.current.top_paths)}
          isEmpty={(rows) => rows.length === 0}
          empty="No page views in this range."
          minHeight={220}
        >
          {(rows) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col" class="number">
                    Page views
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.path}>
                    <th scope="row" class="path">
                      {row.path}
                    </th>
                    <td class="number">
                      <Figure value={row.views} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <Card title="Sites" state={sites} isEmpty={(rows) => rows.length === 0} empty="No events in this range." minHeight={220}>
          {(rows) => (
            <table class="site-split">
              <thead>
                <tr>
                  <th scope="col">Site</th>
                  <th scope="col" class="number">
                    Events
                  </th>
                  <th scope="col" class="number">
                    Unique users
                  </th>
                  <th scope="col" class="number">
                    Page views
                  </th>
                  <th scope="col">
                    <span class="visually-hidden">Filter</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.site_id ?? '\u0000'} aria-current={row.site_id !== null && row.site_id === siteId ? 'true' : undefined}>
                    <th scope="row">{siteLabel(row.site_id)}</th>
                    <td class="number">
                      <Figure value={row.events} />
                    </td>
                    <td class="number">
                      <Figure value={row.unique_users} />
                    </td>
                    <td class="number">
                      <Figure value={row.page_views} />
                    </td>
                    <td>
                      {row.site_id === null ? (
                        <span class="hint">cannot be filtered</span>
                      ) : row.site_id === siteId ? (
                        <button type="button" onClick={() => set({ site_id: undefined }, { push: true })}>
                          Show all sites
                        </button>
                      ) : (
                        <button type="button" onClick={() => set({ site_id: row.site_id! }, { push: true })}>
                          Only {row.site_id}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </main>
  );
}
