import { ErrorBoundary, lazy, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { AccessGate, AccessStatus, OpenBanner } from './access/access';
import { Overview } from './pages/overview';

// The overview is in the first load; every other page is its own chunk, fetched on first visit.
const Events = lazy(() => import('./pages/events').then((m) => m.Events));
const User = lazy(() => import('./pages/user').then((m) => m.User));
const Windows = lazy(() => import('./pages/windows').then((m) => m.Windows));
const Live = lazy(() => import('./pages/live').then((m) => m.Live));
const Retention = lazy(() => import('./pages/retention').then((m) => m.Retention));

/** The pages that read analytics in a time zone: their links keep the current `tz`. */
const NAV = [
  { href: '/', label: 'Overview', zoned: true },
  { href: '/retention', label: 'Retention', zoned: true },
  { href: '/events', label: 'Events' },
  { href: '/windows', label: 'Metric windows' },
  { href: '/live', label: 'Live' },
];

function Nav() {
  const { path, query } = useLocation();
  const tz = query.tz ? `?${new URLSearchParams({ tz: query.tz })}` : '';
  return (
    <nav aria-label="Pages">
      <ul>
        {NAV.map((item) => (
          <li key={item.href}>
            <a href={item.zoned ? `${item.href}${tz}` : item.href} aria-current={(item.href === '/' ? path === '/' : path.startsWith(item.href)) ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NotFound() {
  return (
    <main id="main">
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </main>
  );
}

export function App() {
  return (
    <LocationProvider>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <AccessGate>
        <header class="top">
          <a class="brand" href="/">
            Tracking Service
          </a>
          <Nav />
          <AccessStatus />
        </header>
        <OpenBanner />
        <ErrorBoundary>
          <Router>
            <Route path="/" component={Overview} />
            <Route path="/events" component={Events} />
            <Route path="/users/:userId" component={User} />
            <Route path="/windows" component={Windows} />
            <Route path="/live" component={Live} />
            <Route path="/retention" component={Retention} />
            <Route default component={NotFound} />
          </Router>
        </ErrorBoundary>
      </AccessGate>
    </LocationProvider>
  );
}
