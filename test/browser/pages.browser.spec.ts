import { DASHBOARD_ROUTES } from '../../src/dashboard/serve-dashboard';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * Every page of the dashboard, each route the service serves it at (DASHBOARD_ROUTES, so a
 * page added there is covered here without a change): it loads against known events with no
 * console error (a CSP violation is one), no serious or critical axe-core violation, a few API
 * calls rather than one per row, and leaves a screenshot in test-output/screenshots/.
 */
jest.setTimeout(90_000);

/** At most this many API requests while a page loads: "a handful", never one per row. */
const HANDFUL = 8;
const USER = 'user 42/ä'; // a user id that needs escaping in a path

/** 60 events over the last two days: 12 users, 2 sites, 3 actions, page views with paths. */
function knownEvents(): SeedEvent[] {
  const now = Date.now();
  return Array.from({ length: 60 }, (_, i) => ({
    user_id: i % 5 === 0 ? USER : `user-${i % 12}`,
    action: ['page_view', 'click', 'signup'][i % 3],
    timestamp: new Date(now - 60_000 - i * 45 * 60_000).toISOString(),
    site_id: i % 4 === 0 ? 'site-b' : 'site-a',
    path: `/p/${i % 7}`,
    metadata: { i },
  }));
}

const ROUTES = DASHBOARD_ROUTES.map((route) => ({
  name: route === '/' ? 'overview' : route.split('/')[1],
  path: route.replace(':userId', encodeURIComponent(USER)),
}));

describeBrowser('dashboard pages in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    await service.seed(knownEvents());
  });
  afterAll(async () => {
    await service?.close();
  });
  beforeEach(async () => {
    p = await CheckedPage.open(chromium.browser, service.url);
  });
  afterEach(async () => {
    await p.close();
  });

  it('covers every route the service serves the dashboard at', () => {
    expect(ROUTES.map((r) => r.path)).toEqual(expect.arrayContaining(['/', '/events', '/windows', '/live', '/retention']));
    expect(ROUTES.some((r) => r.path.startsWith('/users/'))).toBe(true);
  });

  it.each(ROUTES)('$path ($name) loads with no console error, no serious axe violation and a handful of API calls', async ({ name, path }) => {
    const api: string[] = [];
    p.page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/')) api.push(`${r.method()} ${url.pathname}${url.search}`);
    });
    await p.goto(path);
    await p.settle();
    expect(await p.page.getByRole('main').count()).toBe(1);
    expect(await p.page.getByRole('heading', { level: 1 }).count()).toBeGreaterThanOrEqual(1);
    expect(await p.page.getByRole('link', { name: 'Skip to content' }).count()).toBe(1);
    await p.check(name);
    expect({ path, requests: api.length <= HANDFUL ? 'a handful' : api }).toEqual({ path, requests: 'a handful' });
  });

  it('marks the overview data-ready once its cards and chart have loaded (what bench:dashboard times)', async () => {
    await p.goto('/');
    await p.page.locator('main[data-ready="true"]').waitFor();
    expect(await p.page.locator('[aria-busy="true"]').count()).toBe(0);
    p.assertClean();
  });

  it('keeps the view in the URL: a deep link reloads to the same page and filter', async () => {
    await p.goto(`/events?user_id=${encodeURIComponent(USER)}`);
    await p.settle();
    await p.page.reload({ waitUntil: 'load' });
    await p.settle();
    const url = new URL(p.page.url());
    expect({ path: url.pathname, user: url.searchParams.get('user_id') }).toEqual({ path: '/events', user: USER });
    expect(await p.page.getByRole('heading', { level: 1, name: /events/i }).count()).toBe(1);
    // The filter survives the reload: the field shows it and every row is that user's.
    expect(await p.page.getByRole('search', { name: 'Filter events' }).getByLabel('User').inputValue()).toBe(USER);
    const userLinks = p.page.getByRole('table').getByRole('link', { name: USER, exact: true });
    await userLinks.first().waitFor();
    expect(await userLinks.count()).toBe(knownEvents().filter((e) => e.user_id === USER).length);
    expect(await p.page.getByRole('table').getByRole('link', { name: /^user-\d+$/ }).count()).toBe(0);
    p.assertClean();
  });
});
