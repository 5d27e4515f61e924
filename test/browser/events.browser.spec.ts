import type { Page } from 'playwright-core';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * The Events page against the real service: the rows it shows are the rows GET /api/events
 * returns for the same filters (changed through the controls), paged by the API's cursor with
 * neither a missing nor a repeated row, one request per page (never per row), a row's JSON
 * equal to GET /api/events/{id}, and a user linking to the user page.
 */
jest.setTimeout(120_000);

interface ApiEvent {
  id: string;
  user_id: string | null;
  action: string;
  timestamp: string;
  received_at: string;
  metadata: Record<string, unknown>;
  site_id: string | null;
  path: string | null;
}
interface EventPage {
  data: ApiEvent[];
  next_cursor: string | null;
}
/** What a table row shows, read from the page. */
interface Shown {
  id: string;
  timestamp: string;
  user: string;
  action: string;
  site: string;
  path: string;
}

const ODD_USER = 'user 7/ü&x'; // needs escaping in a path and a query
const USERS = ['u-1', 'u-2', 'u-3', ODD_USER];
const ACTIONS = ['page_view', 'click', 'signup'];

/** 130 events over the last 30 hours, 4 users, 3 actions, 2 sites, some with paths. */
function knownEvents(): SeedEvent[] {
  const now = Date.now();
  return Array.from({ length: 130 }, (_, i) => ({
    user_id: USERS[i % USERS.length],
    action: ACTIONS[i % 3],
    // Pairs share a timestamp, so the order by (timestamp, id) is exercised across page edges.
    timestamp: new Date(now - 60_000 - Math.floor(i / 2) * 27 * 60_000).toISOString(),
    site_id: i % 5 === 0 ? 'site-b' : 'site-a',
    path: i % 2 === 0 ? `/p/${i % 9}` : undefined,
    metadata: { i, tags: ['a', 'b'] },
  }));
}

/** Every event the API lists for a query, following next_cursor to the end. */
async function allFromApi(service: BrowserService, query: Record<string, string>): Promise<ApiEvent[]> {
  const rows: ApiEvent[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const page: EventPage = await service.api<EventPage>(`/api/events?${params}`);
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

const expected = (events: ApiEvent[]): Shown[] =>
  events.map((e) => ({ id: e.id, timestamp: e.timestamp, user: e.user_id ?? 'anonymous', action: e.action, site: e.site_id ?? '', path: e.path ?? '' }));

async function shownRows(page: Page): Promise<Shown[]> {
  return page.$$eval('tr[data-event-id]', (rows) =>
    rows.map((row) => ({
      id: row.getAttribute('data-event-id')!,
      timestamp: row.querySelector('time')!.getAttribute('datetime')!,
      user: row.querySelector('td.user')!.textContent!.trim(),
      action: row.querySelector('td.action')!.textContent!.trim(),
      site: row.querySelector('td.site')!.textContent!.trim(),
      path: row.querySelector('td.path')!.textContent!.trim(),
    })),
  );
}

/** Waits until no page of the list is on its way. */
async function idle(page: Page): Promise<void> {
  // A locator, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
  // The list's end marker, present (the page's lazy chunk has loaded) and not loading.
  await page.locator('[data-paging]:not([data-paging="loading"])').waitFor();
}

/** Clicks "Load more" until the list has no next page; returns how many clicks it took. */
async function loadAllByButton(page: Page): Promise<number> {
  let clicks = 0;
  for (;;) {
    await idle(page);
    const button = page.getByRole('button', { name: 'Load more' });
    if ((await button.count()) === 0) return clicks;
    try {
      await button.click({ timeout: 3000 });
      clicks += 1;
    } catch (error) {
      // Scrolling the button into view let the sentinel fetch the last page first: the button is gone.
      await idle(page);
      if ((await button.count()) > 0) throw error;
    }
  }
}

/** Scrolls to the end of the page until the list has no next page (the sentinel loads them). */
async function loadAllByScrolling(page: Page): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await idle(page);
    if ((await page.getByRole('button', { name: 'Load more' }).count()) === 0) return;
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(50);
  }
  throw new Error('scrolling did not reach the end of the list');
}

describeBrowser('Events page in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    // Open, whatever an earlier file left: the key cache of a fresh app may still remember its keys.
    await service.dropKeys();
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

  it('pages through every event with "Load more": none missing, none repeated, one request per page', async () => {
    const listRequests: string[] = [];
    p.page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/events')) listRequests.push(url.pathname + url.search);
    });
    // A viewport short enough that the sentinel stays below the fold: the button does the paging.
    await p.page.setViewportSize({ width: 1280, height: 400 });
    await p.goto('/events?limit=20');
    await idle(p.page);
    expect(await p.page.locator('tr[data-event-id]').count()).toBe(20);

    await loadAllByButton(p.page);
    const shown = await shownRows(p.page);
    const api = await allFromApi(service, { limit: '20' });
    expect(api.length).toBe(130);
    expect(shown).toEqual(expected(api));
    expect(new Set(shown.map((r) => r.id)).size).toBe(130);
    // Only list pages were asked for: 130 rows at 20 a page, never a request per row.
    expect(listRequests.every((r) => r.startsWith('/api/events?'))).toBe(true);
    expect(listRequests.length).toBe(Math.ceil(130 / 20));
    expect(await p.page.getByRole('status').filter({ hasText: '130 events shown, all there are' }).count()).toBe(1);
    await p.check('events-all-pages');
  });

  it('loads further pages as the table is scrolled, in the order asked for', async () => {
    await p.goto('/events?limit=15&order=asc');
    await idle(p.page);
    await loadAllByScrolling(p.page);
    const shown = await shownRows(p.page);
    expect(shown).toEqual(expected(await allFromApi(service, { limit: '15', order: 'asc' })));
    expect(shown.length).toBe(130);
    p.assertClean();
  });

  it('filters by user, action, site, time range and order through the controls; the rows equal the API', async () => {
    await p.goto('/events?limit=10');
    await idle(p.page);
    const { page } = p;

    await page.getByLabel('User').fill(ODD_USER);
    await page.getByLabel('User').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('user_id') === ODD_USER);
    await idle(page);
    await loadAllByButton(page);
    expect(await shownRows(page)).toEqual(expected(await allFromApi(service, { limit: '10', user_id: ODD_USER })));

    await page.getByLabel('Action').fill('click');
    await page.getByLabel('Site').fill('site-a');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'click' && url.searchParams.get('site_id') === 'site-a');
    await idle(page);
    await loadAllByButton(page);
    const filtered = await allFromApi(service, { limit: '10', user_id: ODD_USER, action: 'click', site_id: 'site-a' });
    expect(filtered.length).toBeGreaterThan(0);
    expect(await shownRows(page)).toEqual(expected(filtered));

    // A time range typed in the reader's own clock; the URL and the API get the instants.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL((url) => !url.searchParams.has('user_id') && !url.searchParams.has('action'));
    const all = await allFromApi(service, {});
    const from = all[100].timestamp; // descending: an older event
    const till = all[20].timestamp;
    const local = (iso: string) =>
      page.evaluate(`(() => { const d = new Date(${JSON.stringify(iso)}); const p = (n) => String(n).padStart(2, '0');
        return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()); })()`) as Promise<string>;
    const fromIso = new Date(Math.floor(Date.parse(from) / 1000) * 1000).toISOString();
    const tillIso = new Date(Math.floor(Date.parse(till) / 1000) * 1000).toISOString();
    await page.getByLabel('From (your time)').fill(await local(fromIso));
    await page.getByLabel('Till (excluded)').fill(await local(tillIso));
    await page.getByLabel('Order').selectOption({ label: 'Oldest first' });
    await page.waitForURL((url) => url.searchParams.get('order') === 'asc' && url.searchParams.get('from') === fromIso && url.searchParams.get('till') === tillIso);
    await idle(page);
    await loadAllByButton(page);
    const ranged = await allFromApi(service, { from: fromIso, till: tillIso, order: 'asc' });
    expect(ranged.length).toBeGreaterThan(50);
    expect(await shownRows(page)).toEqual(expected(ranged));
    await p.check('events-filtered');
  });

  it('never mixes in rows of a previous filter whose answer arrives late', async () => {
    // The answer for action=signup is held back until after the next filter has been applied.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await p.page.route(
      (url) => url.pathname === '/api/events' && url.searchParams.get('action') === 'signup',
      async (route) => {
        const response = await route.fetch();
        await held;
        await route.fulfill({ response }).catch(() => undefined); // aborted by the page: as intended
      },
    );
    await p.goto('/events?limit=10');
    await idle(p.page);
    await p.page.getByLabel('Action').fill('signup');
    await p.page.getByLabel('Action').press('Enter');
    await p.page.waitForURL((url) => url.searchParams.get('action') === 'signup');
    await p.page.getByLabel('Action').fill('click');
    await p.page.getByLabel('Action').press('Enter');
    await p.page.waitForURL((url) => url.searchParams.get('action') === 'click');
    await idle(p.page);
    release();
    await p.page.waitForTimeout(300);
    await loadAllByButton(p.page);
    const shown = await shownRows(p.page);
    expect(shown).toEqual(expected(await allFromApi(service, { limit: '10', action: 'click' })));
    expect(shown.every((r) => r.action === 'click')).toBe(true);
    p.allow(/net::ERR_FAILED|Failed to load resource/); // the aborted request, as Chromium logs it
    p.assertClean();
  });

  it("opens a row's full JSON (equal to GET /api/events/{id}), closes with Escape, and focus returns", async () => {
    await p.goto('/events?limit=10');
    await idle(p.page);
    const id = await p.page.locator('tr[data-event-id]').nth(3).getAttribute('data-event-id');
    const opener = p.page.locator(`button[data-open-event="${id}"]`);
    await opener.focus();
    await p.page.keyboard.press('Enter');
    const dialog = p.page.getByRole('dialog');
    await dialog.waitFor();
    expect(new URL(p.page.url()).searchParams.get('event')).toBe(id);
    const json = JSON.parse((await dialog.locator('pre.json').textContent())!);
    expect(json).toEqual(await service.api(`/api/events/${id}`));
    await p.check('events-dialog');

    await p.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // The URL and the focus follow the dialog's close (a render later under load: wait, then
    // assert — a fixed check right after the detach failed once in a fresh-clone run).
    await p.page.waitForFunction('!new URL(location.href).searchParams.has("event")', undefined, { timeout: 5000 }).catch(() => undefined);
    expect(new URL(p.page.url()).searchParams.get('event')).toBeNull();
    await p.page
      .waitForFunction(`document.activeElement?.getAttribute("data-open-event") === ${JSON.stringify(id)}`, undefined, { timeout: 5000 })
      .catch(() => undefined);
    expect(await p.page.evaluate('document.activeElement?.getAttribute("data-open-event")')).toBe(id);

    // A link straight to an event (not among the rows loaded) opens it, fetched by id.
    const oldest = (await allFromApi(service, { order: 'asc', limit: '1' }))[0];
    await p.goto(`/events?limit=10&event=${oldest.id}`);
    await dialog.waitFor();
    await dialog.locator('pre.json').waitFor();
    expect(JSON.parse((await dialog.locator('pre.json').textContent())!)).toEqual(await service.api(`/api/events/${oldest.id}`));
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    p.assertClean();
  });

  it('links a user id to the user page, escaped', async () => {
    await p.goto(`/events?user_id=${encodeURIComponent(ODD_USER)}`);
    await idle(p.page);
    await p.page.getByRole('link', { name: ODD_USER }).first().click();
    await p.page.waitForURL((url) => url.pathname.startsWith('/users/'));
    expect(new URL(p.page.url()).pathname).toBe(`/users/${encodeURIComponent(ODD_USER)}`);
    expect(decodeURIComponent(new URL(p.page.url()).pathname.slice('/users/'.length))).toBe(ODD_USER);
  });
});
