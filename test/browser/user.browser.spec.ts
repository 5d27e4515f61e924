import type { Page } from 'playwright-core';
import { resolveRange, type Preset } from '../../web/src/lib/date-range';
import { formatDuration, formatExact } from '../../web/src/lib/format';
import { formatWindow } from '../../web/src/lib/overview-data';
import { eventually } from './support/expect-eventually';
import { readRows } from './support/table';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * The user page shows what the API answers for the same user and range: the windows table
 * equals GET /api/metrics, the recent events equal the first page of GET /api/events (newest
 * first), on load and after changing the range through the controls.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
const HOUR = 3_600_000;
// Needs encoding in the path, and "%" must survive decoding once (not twice).
const USER = 'ana maría 100%';
const OTHER = 'u-2';

/**
 * For each of these days ago, a morning of events in one 4-hour window with a gap of more
 * than 30 minutes (two sessions), varied actions; the other user alongside, to be left out.
 */
function seedEvents(now: number): SeedEvent[] {
  const today = Math.floor(now / DAY) * DAY;
  const events: SeedEvent[] = [];
  for (const daysAgo of [1, 2, 3, 5, 9, 12, 20, 27, 45]) {
    const windowStart = today - daysAgo * DAY + 8 * HOUR;
    const minutes = [5, 20 + daysAgo, 75, 80 + (daysAgo % 7)];
    minutes.forEach((m, i) => {
      events.push({
        user_id: USER,
        action: ['login', 'page_view', 'page_view', i % 2 ? 'purchase' : 'click'][i],
        timestamp: new Date(windowStart + m * 60_000 + daysAgo * 1000).toISOString(),
        site_id: daysAgo % 2 ? 'shop' : 'blog',
        ...(i > 0 ? { path: `/p/${daysAgo}` } : {}),
      });
    });
    events.push({ user_id: OTHER, action: 'page_view', timestamp: new Date(windowStart + 30 * 60_000).toISOString(), site_id: 'shop', path: '/' });
  }
  return events;
}

type Metric = {
  window_start: string;
  window_end: string;
  event_count: number;
  session_count: number;
  active_seconds: number;
  distinct_actions: number;
  first_event_at: string;
  last_event_at: string;
};
type Event = { id: string; action: string; timestamp: string; site_id: string | null; path: string | null };

describeBrowser('User page in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    const now = Date.now();
    await service.seed(seedEvents(now));
    // Compute every ended window of the seeded days (a backfill, as an operator would).
    const res = await fetch(`${service.url}/api/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: new Date(now - 60 * DAY).toISOString(), till: new Date(now).toISOString() }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await service?.close();
  });
  beforeEach(async () => {
    p = await CheckedPage.open(chromium.browser, service.url);
  });
  afterEach(async () => {
    await p?.close();
  });

  async function expectPageMatchesApi(page: Page, preset: Preset, custom?: { from: string; to: string }) {
    await eventually(async () => {
      await page.locator('#main[data-ready="true"]').waitFor();
      const span = page.locator('#main .range-note [data-from]');
      const from = (await span.getAttribute('data-from'))!;
      const till = (await span.getAttribute('data-till'))!;
      if (preset !== '24h') expect({ from: new Date(from), till: new Date(till) }).toEqual(resolveRange(preset, new Date(), custom));
      const q = new URLSearchParams({ user_id: USER, from, till, limit: '1000' });
      const metrics = await service.api<{ data: Metric[] }>(`/api/metrics?${q}`);
      expect(metrics.data.length).toBeGreaterThan(0);
      const windows = await readRows(page.locator('#main table[aria-label="Windows of this user"] tbody tr'), 'data-window-start');
      expect(windows).toEqual(
        metrics.data.map((m) => [
          m.window_start,
          formatWindow(m.window_start, m.window_end),
          formatExact(m.event_count),
          formatExact(m.session_count),
          formatDuration(m.active_seconds * 1000),
          formatExact(m.distinct_actions),
          m.first_event_at,
          m.last_event_at,
        ]),
      );
      // The chart's table alternative holds the same windows.
      const chartRows = await page.locator('#main details').first().locator('tbody tr').count();
      expect(chartRows).toBe(metrics.data.length);

      const events = await service.api<{ data: Event[]; next_cursor: string | null }>(`/api/events?${new URLSearchParams({ user_id: USER, order: 'desc', limit: '20' })}`);
      const shownEvents = await readRows(page.locator('#main table[aria-label="Recent events of this user"] tbody tr'), 'data-event-id');
      expect(shownEvents).toEqual(events.data.map((e) => [e.id, e.timestamp, e.action, e.site_id ?? 'none', e.path ?? 'none']));
      expect(events.next_cursor).not.toBeNull();
    });
  }

  it('shows the windows and recent events the API gives, after changing the range too, and links to more events', async () => {
    const page = p.page;
    await p.goto(`/users/${encodeURIComponent(USER)}`);
    await page.getByRole('heading', { level: 1, name: `User ${USER}` }).waitFor();
    await expectPageMatchesApi(page, '7d');
    await p.check('user');

    await page.getByLabel('Date range').selectOption('30d');
    await eventually(async () => expect(new URL(page.url()).searchParams.get('range')).toBe('30d'));
    await expectPageMatchesApi(page, '30d');

    const from = new Date(Date.now() - 50 * DAY).toISOString().slice(0, 10);
    const to = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
    await page.getByLabel('Date range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill(from);
    await page.getByLabel('To', { exact: true }).fill(to);
    await eventually(async () => {
      const params = new URL(page.url()).searchParams;
      expect([params.get('range'), params.get('from'), params.get('to')]).toEqual(['custom', from, to]);
    });
    await expectPageMatchesApi(page, 'custom', { from, to });

    // "More" leads to the Events page filtered by this user.
    const more = page.getByRole('link', { name: 'More events of this user' });
    expect(await more.getAttribute('href')).toBe(`/events?user_id=${encodeURIComponent(USER)}`);
    await more.click();
    await eventually(async () => {
      const url = new URL(page.url());
      expect([url.pathname, url.searchParams.get('user_id')]).toEqual(['/events', USER]);
    });
    p.assertClean();
  });

  it('says so for a user without events', async () => {
    await p.goto('/users/nobody-here');
    await p.page.locator('#main[data-ready="true"]').waitFor();
    await p.page.getByText('No computed activity for this user in this range.').waitFor();
    await p.page.getByText('No events recorded for this user.').waitFor();
    await p.check('user-empty');
  });
});
