/**
 * The browser tracker, served by the service at /t.js (built by `npm run build:web` into
 * dist/tracker/t.js; test/tracker-size.spec.ts holds it to 2 KB gzipped). No dependencies, no
 * cookies, no storage.
 *
 *   <script defer src="https://stats.example.com/t.js" data-site="shop"></script>
 *
 * data-site     the site (default: the page's host name)
 * data-api      where to send (default: POST /api/collect of the script's own origin)
 * data-hash     the URL fragment is part of the path (hash routing: #/cart is a page)
 * data-respect-dnt  send nothing when the browser asks not to be tracked (DNT or GPC)
 *
 * window.tracker.track(name, props), .identify(id, traits) (null: anonymous again), .page().
 * Calls made before the script ran are queued by the stub
 *   window.tracker = window.tracker || function () { (tracker.q = tracker.q || []).push(arguments) }
 * and replayed before the first page view, so identify() there labels it too.
 */
type Events = Array<Record<string, unknown>>;
type Api = Record<string, (...args: any[]) => void>;

((w: any, d: Document, nav: any, location: Location) => {
  const script = d.currentScript as HTMLScriptElement | null;
  const queued = w.tracker;
  if (!script || (queued && queued.track)) return; // not our script tag, or already running
  const data = (name: string) => script.getAttribute('data-' + name);
  const site = data('site') || location.hostname;
  const endpoint = data('api') || new URL(script.src).origin + '/api/collect';
  const hash = data('hash') != null;
  const off = data('respect-dnt') != null && (nav.doNotTrack == '1' || w.doNotTrack == '1' || nav.globalPrivacyControl === true);
  /** Requests awaiting a retry: handed to sendBeacon if the page goes away first. */
  const pending: Array<[Events, number]> = [];
  let userId: string | undefined;
  let lastPath: string | undefined;

  const uuid = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    let s = '';
    b.forEach((x, i) => (s += (i == 4 || i == 6 || i == 8 || i == 10 ? '-' : '') + (x + 256).toString(16).slice(1)));
    return s;
  };
  // sent_at is our clock now, on every attempt: the server corrects each ts with it.
  const body = (events: Events) => JSON.stringify({ site, sent_at: Date.now(), events });
  const beacon = (events: Events) => {
    try {
      return nav.sendBeacon(endpoint, body(events));
    } catch (e) {
      return false;
    }
  };

  /**
   * A beacon first: the browser delivers it even as the page unloads, but says nothing of the
   * answer. Without one (or refused: over the browser's quota), fetch with keepalive, else
   * XMLHttpRequest, whose answers we see: no answer, 408, 429 and 5xx are tried again (the same
   * event ids, so the server stores each once) after 1, 2, 4 s (or Retry-After, a minute at most);
   * other answers are final.
   */
  const send = (events: Events, attempt: number) => {
    if (!attempt && beacon(events)) return;
    const done = (status: number, retryAfter: string | null) => {
      if (attempt < 3 && (!status || status == 408 || status == 429 || status > 499)) {
        const entry: [Events, number] = [events, setTimeout(() => {
          pending.splice(pending.indexOf(entry), 1);
          send(events, attempt + 1);
        }, Math.min(6e4, Math.max(1000 << attempt, 1000 * +(retryAfter || 0))))];
        pending.push(entry);
      }
    };
    if (w.fetch) {
      fetch(endpoint, { method: 'POST', body: body(events), keepalive: true, credentials: 'omit' }).then(
        (r) => done(r.status, r.headers.get('Retry-After')),
        () => done(0, null),
      );
    } else {
      const x = new XMLHttpRequest();
      x.open('POST', endpoint);
      x.onloadend = () => done(x.status, x.getResponseHeader('Retry-After'));
      x.send(body(events));
    }
  };
  const flush = () => {
    while (pending.length) {
      const [events, timer] = pending.pop()!;
      clearTimeout(timer);
      beacon(events);
    }
  };
  addEventListener('pagehide', flush);
  d.addEventListener('visibilitychange', () => d.visibilityState == 'hidden' && flush());

  const url = () => (hash ? location.href : location.href.split('#')[0]);
  const event = (type: string, extra: Record<string, unknown>) => {
    if (!off) send([Object.assign({ id: uuid(), type, url: url(), ts: Date.now(), user_id: userId }, extra)], 0);
  };
  /** A page view when the path changed (a query-only change, or a replaceState of state, is not a new page). */
  const page = () => {
    const path = location.pathname + (hash ? location.hash : '');
    if (path == lastPath) return;
    event('pageview', { referrer: lastPath == null ? d.referrer || undefined : undefined });
    lastPath = path;
  };
  const api: Api = {
    track: (name: string, props?: object) => event('event', { name, props }),
    identify: (id: unknown, traits?: object) => {
      // Kept in memory for this page only: call it on every page where the user is known.
      userId = id == null ? undefined : '' + id;
      if (userId) event('identify', { props: traits });
    },
    page: () => {
      lastPath = undefined;
      page();
    },
  };
  const tracker: any = (method: string, ...args: unknown[]) => api[method] && api[method](...args);
  w.tracker = Object.assign(tracker, api);

  for (const method of ['pushState', 'replaceState']) {
    const original = (history as any)[method];
    (history as any)[method] = function (this: History, ...args: unknown[]) {
      const result = original.apply(this, args);
      page();
      return result;
    };
  }
  addEventListener('popstate', page);
  if (hash) addEventListener('hashchange', page);

  const start = () => {
    for (const args of (queued && queued.q) || []) tracker(...args);
    page();
  };
  // A prerendered page counts once the visitor actually opens it.
  if ((d as any).prerendering) d.addEventListener('prerenderingchange', start, { once: true });
  else start();
})(window, document, navigator, location);
