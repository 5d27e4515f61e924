import { useMemo } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import { Card } from '../components/card';
import { RangeControls, useUrlRange } from '../components/range-controls';
import { TimeChart } from '../components/time-chart';
import { formatDateTime, formatDuration, formatExact } from '../lib/format';
import { activeMinutes, formatRange, formatWindow } from '../lib/overview-data';
import { cssColor } from '../lib/css-color';
import { useAsync } from '../lib/use-async';

type MetricRow = Schemas['UserMetricsResponse'];

/** One page of windows: 1000 (the API's largest page) covers 166 days of 4-hour windows. */
const WINDOW_LIMIT = 1000;
const RECENT_EVENTS = 20;

const windowTime = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function MetricCharts(props: { rows: MetricRow[] }) {
  const { rows } = props;
  const chart = useMemo(() => {
    const times = rows.map((row) => Date.parse(row.window_start));
    return {
      times,
      counts: [
        { label: 'Events', values: rows.map((row) => row.event_count), color: cssColor('--series-1', '#0b5cad') },
        { label: 'Sessions', values: rows.map((row) => row.session_count), color: cssColor('--series-2', '#b35900'), dash: [6, 4] },
      ],
      minutes: [{ label: 'Active minutes', values: rows.map((row) => activeMinutes(row.active_seconds)), color: cssColor('--series-3', '#6f42c1') }],
    };
  }, [rows]);
  return (
    <div class="chart-pair">
      <TimeChart caption="Events and sessions per 4-hour window" times={chart.times} series={chart.counts} height={200} formatTime={windowTime} />
      <TimeChart caption="Active minutes per 4-hour window" times={chart.times} series={chart.minutes} height={200} formatTime={windowTime} />
    </div>
  );
}

/**
 * One user: their 4-hour activity metrics over the chosen range (a chart and the table of
 * windows), beside their most recent events. Two requests.
 */
export function User(props: { userId?: string; params?: { userId?: string } }) {
  // preact-iso has decoded the path segment already (decoding again would break a "%" in an id).
  const userId = props.userId ?? props.params?.userId ?? '';
  const urlRange = useUrlRange('7d');
  const { range } = urlRange;

  const metrics = useAsync(
    (signal) =>
      call(
        api.GET('/api/metrics', {
          params: { query: { user_id: userId, from: range.from.toISOString(), till: range.till.toISOString(), limit: WINDOW_LIMIT } },
          signal,
        }),
      ),
    [userId, urlRange.key],
  );
  const events = useAsync(
    (signal) => call(api.GET('/api/events', { params: { query: { user_id: userId, order: 'desc', limit: RECENT_EVENTS } }, signal })),
    [userId],
  );
  const eventsLink = `/events?user_id=${encodeURIComponent(userId)}`;

  return (
    <main id="main" data-ready={metrics.status !== 'loading' && events.status !== 'loading' ? 'true' : 'false'}>
      <h1>
        User <code>{userId}</code>
      </h1>
      <div class="toolbar" role="group" aria-label="Range">
        <RangeControls id="user" state={urlRange} />
      </div>
      <p class="hint range-note">
        <span data-from={range.from.toISOString()} data-till={range.till.toISOString()}>
          {formatRange(range)}
        </span>
        : the 4-hour windows (UTC) overlapping this range. A window appears once its metrics are computed (after it ends; see Metric windows).
      </p>
      <div class="grid">
        <Card
          title="Activity per 4-hour window"
          class="wide"
          state={metrics}
          isEmpty={(page) => page.data.length === 0}
          empty="No computed activity for this user in this range."
          minHeight={320}
        >
          {(page) => (
            <>
              <p>
                {formatExact(page.data.length)} windows, {formatExact(page.data.reduce((n, row) => n + row.event_count, 0))} events,{' '}
                {formatExact(page.data.reduce((n, row) => n + row.session_count, 0))} sessions,{' '}
                {formatDuration(page.data.reduce((n, row) => n + row.active_seconds, 0) * 1000)} active.
                {page.next_cursor && ` Showing the first ${formatExact(WINDOW_LIMIT)} windows: choose a shorter range to see the rest.`}
              </p>
              <MetricCharts rows={page.data} />
            </>
          )}
        </Card>
        <Card title="Windows" class="wide" state={metrics} isEmpty={(page) => page.data.length === 0} empty="No windows to list." minHeight={200}>
          {(page) => (
            <div class="user-windows-scroll" tabIndex={0} role="region" aria-label="Windows of this user, scrollable">
              <table aria-label="Windows of this user">
                <thead>
                  <tr>
                    <th scope="col">Window</th>
                    <th scope="col" class="number">
                      Events
                    </th>
                    <th scope="col" class="number">
                      Sessions
                    </th>
                    <th scope="col" class="number">
                      Active time
                    </th>
                    <th scope="col" class="number">
                      Actions
                    </th>
                    <th scope="col">First event</th>
                    <th scope="col">Last event</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((row) => (
                    <tr key={row.window_start} data-window-start={row.window_start}>
                      <th scope="row">{formatWindow(row.window_start, row.window_end)}</th>
                      <td class="number">{formatExact(row.event_count)}</td>
                      <td class="number">{formatExact(row.session_count)}</td>
                      <td class="number" title={`${formatExact(row.active_seconds)} s`}>
                        {formatDuration(row.active_seconds * 1000)}
                      </td>
                      <td class="number" title={Object.entries(row.action_counts).map(([action, n]) => `${action}: ${n}`).join(', ')}>
                        {formatExact(row.distinct_actions)}
                      </td>
                      <td>
                        <time dateTime={row.first_event_at}>{formatDateTime(row.first_event_at)}</time>
                      </td>
                      <td>
                        <time dateTime={row.last_event_at}>{formatDateTime(row.last_event_at)}</time>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title="Recent events" class="wide" state={events} isEmpty={(page) => page.data.length === 0} empty="No events recorded for this user." minHeight={200}>
          {(page) => (
            <>
              <table aria-label="Recent events of this user">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Action</th>
                    <th scope="col">Site</th>
                    <th scope="col">Path</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((event) => (
                    <tr key={event.id} data-event-id={event.id}>
                      <td>
                        <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
                      </td>
                      <td>{event.action}</td>
                      <td>{event.site_id ?? <span class="hint">none</span>}</td>
                      <td>{event.path ?? <span class="hint">none</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                <a href={eventsLink}>{page.next_cursor ? 'More events of this user' : 'All events of this user'}</a> on the Events page.
              </p>
            </>
          )}
        </Card>
      </div>
    </main>
  );
}
