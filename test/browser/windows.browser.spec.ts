import type { Page, Response } from 'playwright-core';
import { formatDuration, formatExact } from '../../web/src/lib/format';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * The Metric windows page against the real service: the ledger it shows is what
 * GET /api/metrics/windows returns for the same filters (set through the controls), paged by
 * cursor; a read key sees "Compute now" and "Backfill range" disabled with the reason; an admin
 * key runs them, the page shows the run's result as POST /api/metrics answered, and the
 * ledger changes (pending windows become computed).
 */
jest.setTimeout(120_000);

interface ApiWindow {
  window_start: string;
  window_end: string;
  status: 'open' | 'pending' | 'computed' | 'stale';
  users: number | null;
  events: number | null;
  computed_at: string | null;
  trigger: 'cron' | 'http' | 'cli' | null;
  duration_ms: number | null;
}
interface WindowPage {
  data: ApiWindow[];
  next_cursor: string | null;
}
interface RunAnswer {
  windows: Array<{ window_start: string; window_end: string; users: number; events: number; status: 'computed' }>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Two days ago and yesterday (UTC), five windows with events; and one event now (an open window). */
function knownEvents(): { events: SeedEvent[]; firstDay: string; lastDay: string } {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const twoDaysAgo = today - 2 * DAY;
  const hours = [1, 5, 9, 24 + 13, 24 + 22]; // windows 00-04, 04-08, 08-12 two days ago; 12-16, 20-24 yesterday
  const events: SeedEvent[] = [];
  hours.forEach((hour, w) => {
    for (let i = 0; i <= w + 1; i++) {
      events.push({ user_id: `user-${i % (w + 1)}`, action: i % 2 ? 'click' : 'page_view', timestamp: new Date(twoDaysAgo + hour * HOUR + i * 60_000).toISOString() });
    }
  });
  events.push({ user_id: 'user-now', action: 'page_view', timestamp: new Date(Date.now() - 1000).toISOString() });
  return { events, firstDay: dayOf(twoDaysAgo), lastDay: dayOf(twoDaysAgo + DAY) };
}

/** The page asks for the newest first unless its URL says order=asc. */
async function allFromApi(service: BrowserService, query: Record<string, string>, key?: string): Promise<ApiWindow[]> {
  query = { order: 'desc', ...query };
  const rows: ApiWindow[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const page: WindowPage = await service.api<WindowPage>(`/api/metrics/windows?${params}`, key);
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

const TRIGGERS = { cron: 'cron', http: 'HTTP', cli: 'CLI' } as const;
const expected = (rows: ApiWindow[]) =>
  rows.map((w) => ({
    start: w.window_start,
    end: w.window_end,
    status: w.status,
    trigger: w.trigger ? TRIGGERS[w.trigger] : '—',
    duration: w.duration_ms === null ? '—' : formatDuration(w.duration_ms),
    users: w.users === null ? '—' : formatExact(w.users),
    events: w.events === null ? '—' : formatExact(w.events),
    computedAt: w.computed_at ?? '—',
  }));

async function shownRows(page: Page) {
  return page.$$eval('table.windows-table tbody tr', (rows) =>
    rows.map((row) => {
      const cell = (name: string) => row.querySelector(`.${name}`)!.textContent!.trim();
      const times = row.querySelectorAll('th.window time');
      return {
        start: times[0].getAttribute('datetime')!,
        end: times[1].getAttribute('datetime')!,
        status: cell('status'),
        trigger: cell('trigger'),
        duration: cell('duration'),
        users: cell('users'),
        events: cell('events'),
        computedAt: row.querySelector('.computed-at time')?.getAttribute('datetime') ?? cell('computed-at'),
      };
    }),
  );
}

async function idle(page: Page): Promise<void> {
  // A locator, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
  // The list's end marker, present (the page's lazy chunk has loaded) and not loading.
  await page.locator('[data-paging]:not([data-paging="loading"])').waitFor();
}

async function loadAll(page: Page): Promise<void> {
  for (;;) {
    await idle(page);
    const button = page.getByRole('button', { name: 'Load more' });
    if ((await button.count()) === 0) return;
    try {
      await button.click({ timeout: 3000 });
    } catch (error) {
      await idle(page);
      if ((await button.count()) > 0) throw error;
    }
  }
}

/** The page's ledger equals the API's, retried briefly (a window may end between the two reads). */
async function expectLedger(page: Page, service: BrowserService, query: Record<string, string>, key?: string): Promise<ApiWindow[]> {
  let api: ApiWindow[] = [];
  for (let attempt = 0; ; attempt++) {
    await loadAll(page);
    api = await allFromApi(service, query, key);
    const shown = await shownRows(page);
    if (attempt >= 2 || JSON.stringify(shown) === JSON.stringify(expected(api))) {
      expect(shown).toEqual(expected(api));
      return api;
    }
    await page.waitForTimeout(500);
  }
}

/** Clicks a button and returns the answer of the POST /api/metrics it sends. */
async function runAction(page: Page, click: () => Promise<void>): Promise<{ response: Response; body: RunAnswer }> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/metrics' && r.request().method() === 'POST');
  await click();
  const response = await answered;
  return { response, body: (await response.json()) as RunAnswer };
}

/** What the result line says, by its marked figures. */
async function shownResult(page: Page) {
  const summary = page.locator('.run-summary');
  await summary.waitFor();
  const figure = (name: string) => summary.locator(`[data-result="${name}"]`).textContent();
  return { windows: await figure('windows'), users: await figure('users'), events: await figure('events') };
}

const summed = (answer: RunAnswer) => ({
  windows: formatExact(answer.windows.length),
  users: formatExact(answer.windows.reduce((s, w) => s + w.users, 0)),
  events: formatExact(answer.windows.reduce((s, w) => s + w.events, 0)),
});

describeBrowser('Metric windows page in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  let days: { firstDay: string; lastDay: string };
  beforeAll(async () => {
    service = await startBrowserService();
    // Open, whatever an earlier file left: the key cache of a fresh app may still remember its keys.
    await service.dropKeys();
    const known = knownEvents();
    days = known;
    await service.seed(known.events);
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

  it('shows the ledger as the API lists it, with status badges in words, paged by cursor', async () => {
    await p.goto('/windows?limit=2');
    const api = await expectLedger(p.page, service, {});
    expect(api.map((w) => w.status)).toEqual(['open', 'pending', 'pending', 'pending', 'pending', 'pending']);
    // Three pages of two: the list asked for each once.
    expect(await p.page.locator('[data-pages]').getAttribute('data-pages')).toBe('3');
    expect(await p.page.getByText('pending', { exact: true }).count()).toBeGreaterThanOrEqual(5);
    await p.check('windows-ledger');

    // Oldest first, through the control: the same windows the other way round.
    await p.page.getByLabel('Order', { exact: true }).selectOption({ label: 'Oldest first' });
    await p.page.waitForURL((url) => url.searchParams.get('order') === 'asc');
    const oldestFirst = await expectLedger(p.page, service, { order: 'asc' });
    expect(oldestFirst.map((w) => w.window_start)).toEqual(api.map((w) => w.window_start).reverse());
  });

  it('filters by status and by a custom range of days through the controls', async () => {
    await p.goto('/windows');
    await idle(p.page);
    await p.page.getByLabel('Status', { exact: true }).selectOption('open');
    await p.page.waitForURL((url) => url.searchParams.get('status') === 'open');
    const open = await expectLedger(p.page, service, { status: 'open' });
    expect(open.length).toBe(1);

    await p.page.getByLabel('Status', { exact: true }).selectOption({ label: 'Any status' });
    await p.page.getByLabel('Range', { exact: true }).selectOption({ label: 'Custom range' });
    await p.page.getByLabel('First day (UTC)').fill(days.lastDay);
    await p.page.getByLabel('Last day (UTC)').fill(days.lastDay);
    await p.page.waitForURL((url) => url.searchParams.get('range') === 'custom' && url.searchParams.get('from') === days.lastDay && url.searchParams.get('to') === days.lastDay);
    const till = new Date(Date.parse(`${days.lastDay}T00:00:00Z`) + DAY).toISOString();
    const yesterday = await expectLedger(p.page, service, { from: `${days.lastDay}T00:00:00.000Z`, till });
    expect(yesterday.length).toBe(2);
    p.assertClean();
  });

  it('explains a refused run in words (429 with Retry-After)', async () => {
    await p.page.route(
      (url) => url.pathname === '/api/metrics',
      (route) =>
        route.fulfill({
          status: 429,
          headers: { 'content-type': 'application/problem+json', 'retry-after': '7' },
          body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429 }),
        }),
    );
    p.allow(/status of 429/);
    await p.goto('/windows');
    await p.page.getByRole('button', { name: 'Compute now' }).click();
    await p.page.getByRole('alert').filter({ hasText: 'Too many requests' }).waitFor();
    expect(await p.page.getByRole('alert').filter({ hasText: 'Try again in 7 s' }).count()).toBe(1);
    p.assertClean();
  });

  describe('with API keys', () => {
    let readKey: string;
    let adminKey: string;
    beforeAll(async () => {
      readKey = await service.createKey('read', 'dashboard-read');
      adminKey = await service.createKey('admin', 'dashboard-admin');
    });
    afterAll(async () => {
      await service.dropKeys(); // the next file finds the service open
    });

    async function signIn(key: string) {
      p.allow(/status of 401 \(Unauthorized\) \(http:\/\/[^)]+\/api\/access\)/); // asked before a key is entered
      await p.goto('/windows');
      await p.page.getByLabel('API key').fill(key);
      await p.page.getByRole('button', { name: 'Use this key' }).click();
      await p.page.getByRole('heading', { level: 1, name: 'Metric windows' }).waitFor();
    }

    it('shows a read key "Compute now" and "Backfill range" disabled, with the reason in view', async () => {
      await signIn(readKey);
      const compute = p.page.getByRole('button', { name: 'Compute now' });
      const backfill = p.page.getByRole('button', { name: 'Backfill range' });
      expect(await compute.isDisabled()).toBe(true);
      expect(await backfill.isDisabled()).toBe(true);
      const reason = p.page.getByText('Needs an API key with the "admin" scope; "dashboard-read" has "read".');
      expect(await reason.isVisible()).toBe(true);
      expect(await compute.getAttribute('aria-describedby')).toBe(await reason.getAttribute('id'));
      await expectLedger(p.page, service, {}, readKey);
      await p.check('windows-read-key');
    });

    it('runs "Compute now" with an admin key: the result as the API answered, pending windows become computed', async () => {
      await signIn(adminKey);
      const before = await expectLedger(p.page, service, {}, adminKey);
      const pending = before.filter((w) => w.status === 'pending').map((w) => w.window_start);
      expect(pending.length).toBe(5);

      const { response, body } = await runAction(p.page, () => p.page.getByRole('button', { name: 'Compute now' }).click());
      expect(response.status()).toBe(200);
      expect(body.windows.map((w) => w.window_start).sort()).toEqual(pending.sort());
      expect(await shownResult(p.page)).toEqual(summed(body));

      await p.page.locator('.status', { hasText: 'pending' }).first().waitFor({ state: 'detached' });
      const after = await expectLedger(p.page, service, {}, adminKey);
      for (const start of pending) {
        expect(after.find((w) => w.window_start === start)).toMatchObject({ status: 'computed', trigger: 'http' });
      }
      await p.check('windows-computed');

      // Nothing left to do: the page says so.
      await runAction(p.page, () => p.page.getByRole('button', { name: 'Compute now' }).click());
      await p.page.getByText('Compute now: nothing to compute').waitFor();
    });

    it('backfills a range of days with an admin key and shows what it recomputed', async () => {
      await signIn(adminKey);
      const before = await allFromApi(service, {}, adminKey);
      await p.page.getByLabel('Backfill from day (UTC)').fill(days.firstDay);
      await p.page.getByLabel('Backfill to day (UTC)').fill(days.lastDay);
      const { response, body } = await runAction(p.page, () => p.page.getByRole('button', { name: 'Backfill range' }).click());
      expect(response.status()).toBe(200);
      expect(JSON.parse(response.request().postData()!)).toEqual({
        from: `${days.firstDay}T00:00:00.000Z`,
        till: new Date(Date.parse(`${days.lastDay}T00:00:00Z`) + DAY).toISOString(),
      });
      expect(body.windows.length).toBe(5);
      expect(await shownResult(p.page)).toEqual(summed(body));
      const after = await expectLedger(p.page, service, {}, adminKey);
      // Every window of the range was computed again (a newer computed_at), whatever its state.
      for (const w of body.windows) {
        const was = before.find((b) => b.window_start === w.window_start)!;
        const now = after.find((a) => a.window_start === w.window_start)!;
        expect(Date.parse(now.computed_at!)).toBeGreaterThan(Date.parse(was.computed_at ?? '1970-01-01T00:00:00Z'));
      }
      p.assertClean();
    });
  });
});
