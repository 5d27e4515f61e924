import { useEffect, useRef, useState } from 'preact/hooks';
import { api, explain, type Schemas } from '../api/client';
import { formatDateTime, formatExact } from '../lib/format';
import { EventStreamParser, MinuteCounter } from '../lib/sse';
import { useUrlState } from '../lib/url-state';

type LiveEvent = Schemas['EventResponse'] & { received: number };

/** The newest events kept on screen; older ones scroll off (the Events page has them all). */
const KEEP = 200;
const MINUTES = 30;

type Connection = { state: 'connecting' } | { state: 'open' } | { state: 'retrying'; reason: string; inSeconds: number } | { state: 'failed'; reason: string };

/**
 * Events as they are recorded, from GET /api/events/live (server-sent events fed by
 * PostgreSQL LISTEN/NOTIFY, so events recorded by any replica appear). Read with fetch
 * streaming so the API key goes in the Authorization header; reconnects with back-off.
 */
export function Live() {
  const { query, set } = useUrlState();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState<LiveEvent[]>([]);
  const [now, setNow] = useState(Date.now());
  const counter = useRef(new MinuteCounter(MINUTES));
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(tick);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    let delay = 1000;
    const receive = (batch: LiveEvent[]) => {
      counter.current.add(Date.now(), batch.length);
      setNow(Date.now());
      if (pausedRef.current) setHeld((previous) => [...batch.reverse(), ...previous].slice(0, KEEP));
      else setEvents((previous) => [...batch.reverse(), ...previous].slice(0, KEEP));
    };
    const run = async () => {
      while (!controller.signal.aborted) {
        setConnection({ state: 'connecting' });
        let wait = delay;
        let reason = 'The connection to the service was lost.';
        try {
          const { response } = await api.GET('/api/events/live', {
            params: { query: { site_id: query.site_id || undefined, action: query.action || undefined, user_id: query.user_id || undefined } },
            parseAs: 'stream',
            signal: controller.signal,
          });
          if (!response.ok || !response.body) {
            const problem = await response.json().catch(() => undefined);
            reason = explain(response.status, problem, response.headers.get('Retry-After'));
            const retryAfter = Number(response.headers.get('Retry-After'));
            if (response.status === 401 || response.status === 403 || response.status === 400) {
              setConnection({ state: 'failed', reason });
              return;
            }
            if (retryAfter > 0) wait = retryAfter * 1000;
          } else {
            setConnection({ state: 'open' });
            delay = 1000;
            const parser = new EventStreamParser();
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              const batch = parser
                .push(value)
                .filter((message) => message.event === 'event')
                .map((message) => ({ ...(JSON.parse(message.data) as Schemas['EventResponse']), received: Date.now() }));
              if (batch.length > 0) receive(batch);
            }
            if (parser.retry) wait = parser.retry;
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          reason = 'The service cannot be reached. Is it running?';
        }
        setConnection({ state: 'retrying', reason, inSeconds: Math.round(wait / 1000) });
        await new Promise((resolve) => setTimeout(resolve, wait));
        delay = Math.min(delay * 2, 30_000);
      }
    };
    void run();
    return () => controller.abort();
  }, [query.site_id, query.action, query.user_id]);

  const series = counter.current.series(now);
  const thisMinute = series[series.length - 1].count;
  const total = series.reduce((sum, minute) => sum + minute.count, 0);
  const peak = Math.max(1, ...series.map((minute) => minute.count));

  return (
    <main id="main">
      <h1>Live</h1>
      <form class="toolbar" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="live-site">Site</label>
          <input id="live-site" value={query.site_id ?? ''} onChange={(e) => set({ site_id: (e.target as HTMLInputElement).value.trim() })} placeholder="all sites" />
        </div>
        <div class="field">
          <label for="live-action">Action</label>
          <input id="live-action" value={query.action ?? ''} onChange={(e) => set({ action: (e.target as HTMLInputElement).value.trim() })} placeholder="all actions" />
        </div>
        <button type="button" aria-pressed={paused} onClick={() => {
          if (paused) {
            setEvents((previous) => [...held, ...previous].slice(0, KEEP));
            setHeld([]);
          }
          setPaused(!paused);
        }}>
          {paused ? `Resume (${held.length} new)` : 'Pause'}
        </button>
      </form>
      <p class={`connection ${connection.state}`} role="status">
        {connection.state === 'connecting' && 'Connecting…'}
        {connection.state === 'open' && 'Connected: events appear here as they are recorded.'}
        {connection.state === 'retrying' && `${connection.reason} Reconnecting in ${connection.inSeconds} s.`}
        {connection.state === 'failed' && connection.reason}
      </p>
      <div class="grid">
        <section class="card" aria-labelledby="live-rate">
          <h2 id="live-rate">Events per minute</h2>
          <p class="figure" data-testid="this-minute">
            {formatExact(thisMinute)}
          </p>
          <p class="change">
            this minute · {formatExact(total)} in the last {MINUTES} minutes (since this page opened)
          </p>
          <div class="minute-bars" aria-hidden="true">
            {series.map((minute) => (
              <span key={minute.minute} title={`${new Date(minute.minute).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}: ${minute.count}`} style={{ height: `${(minute.count / peak) * 100}%` }} />
            ))}
          </div>
        </section>
      </div>
      <section class="card wide" aria-labelledby="live-events">
        <h2 id="live-events">Latest events</h2>
        {events.length === 0 ? (
          <p class="empty">No event yet since this page opened. Events recorded now, through any replica, appear here within a second or two.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Event time</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Site</th>
                <th scope="col">Path</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>{new Date(event.received).toLocaleTimeString('en-GB')}</td>
                  <td>{formatDateTime(event.timestamp)}</td>
                  <td>{event.user_id === null ? <span class="hint">anonymous</span> : <a href={`/users/${encodeURIComponent(event.user_id)}`}>{event.user_id}</a>}</td>
                  <td>{event.action}</td>
                  <td>{event.site_id ?? '–'}</td>
                  <td>{event.path ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
