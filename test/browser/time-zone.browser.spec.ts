import type { Page } from 'playwright-core';
import { previousRange, rangeDays, resolveRange } from '../../web/src/lib/date-range';
import { formatChange, formatCompact, formatExact } from '../../web/src/lib/format';
import { addDays, dayStart } from '../../web/src/lib/time-zone';
import { eventually } from './support/expect-eventually';
import { readRows } from './support/table';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * The dashboard's time-zone selector: the browser's zone by default (the context's
 * timezoneId), kept in the URL across a reload and in a shared link, and applied to every
 * analytics call — so that events placed near midnight count on different days in different
 * zones, and the overview shows exactly what the API answers for its zone.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** A past day, so that the figures do not move while the test runs. */
const D = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
const at = (day: string, hours: number) => new Date(Date.parse(`${day}T00:00:00Z`) + hours * HOUR).toISOString();

/**
 * One user per event, each near a midnight somewhere: UTC day D holds u1 (00:10Z) and u2
 * (23:50Z); Kathmandu's day D (D−1 18:15Z … D 18:15Z) holds u0 (D−1 20:00Z) and u1; Los
 * Angeles' day D (D 07:00Z … D+1 07:00Z, or 08:00Z in winter) holds u2 and u3 (D+1 00:10Z …).
 * Some page views, so that card differs too; and events on the days around for the chart.
 */
function nearMidnight(): SeedEvent[] {
  return [
    { user_id: 'u0', action: 'page_view', path: '/a', timestamp: at(D, -4) },
    { user_id: 'u1', action: 'page_view', path: '/a', timestamp: at(D, 10 / 60) },
    { user_id: 'u1', action: 'click', timestamp: at(D, 20 / 60) },
    { user_id: 'u2', action: 'click', timestamp: at(D, 23 + 50 / 60) },
    { user_id: 'u3', action: 'page_view', path: '/b', timestamp: at(addDays(D, 1), 10 / 60) },
    { user_id: 'u3', action: 'signup', timestamp: at(addDays(D, 1), 15 / 60) },
    { user_id: 'u3', action: 'click', timestamp: at(addDays(D, 1), 1) },
    { user_id: 'u4', action: 'page_view', path: '/a', timestamp: at(addDays(D, -1), 12) },
    { user_id: 'u5', action: 'page_view', path: '/c', timestamp: at(addDays(D, 1), 12) },
    { user_id: 'u6', action: 'click', timestamp: at(addDays(D, 2), 3) },
  ];
}

type Overview = { from: string; till: string; tz: string; total_events: number; unique_users: number; page_views: number };
type ActiveUsers = { tz: string; data: Array<{ period_start: string; unique_users: number }> };
const ZONES = ['UTC', 'Asia/Kathmandu', 'America/Los_Angeles'] as const;

describeBrowser('the time-zone selector in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    await service.seed(nearMidnight());
  });
  afterAll(async () => {
    await service?.close();
  });
  afterEach(async () => {
    await p?.close();
  });

  const zoneOf = (page: Page) => new URL(page.url()).searchParams.get('tz');
  const zoneSelect = (page: Page) => page.getByLabel('Time zone', { exact: true });

  /** The overview of one local day of `tz` as the API answers it, and the chart's days around it. */
  async function apiFigures(tz: string) {
    const range = { from: dayStart(D, tz), till: dayStart(addDays(D, 1), tz) };
    const previous = previousRange(range, tz);
    const q = (r: { from: Date; till: Date }) => `from=${r.from.toISOString()}&till=${r.till.toISOString()}&tz=${encodeURIComponent(tz)}`;
    const [current, before] = await Promise.all([service.api<Overview>(`/api/analytics/overview?${q(range)}&top=10`), service.api<Overview>(`/api/analytics/overview?${q(previous)}&top=1`)]);
    return { range, current, before };
  }

  /** The cards and the chart's table of a one-day custom range equal the API's answers for the page's zone. */
  async function expectDayMatchesApi(page: Page, tz: string) {
    const { range, current, before } = await apiFigures(tz);
    expect(current.tz).toBe(tz);
    await eventually(async () => {
      await page.locator('#main[data-ready="true"]').waitFor();
      const span = page.locator('#main .range-note [data-from]');
      expect({ from: await span.getAttribute('data-from'), till: await span.getAttribute('data-till') }).toEqual({
        from: range.from.toISOString(),
        till: range.till.toISOString(),
      });
      for (const [card, pick] of [
        ['Events', (o: Overview) => o.total_events],
        ['Unique users', (o: Overview) => o.unique_users],
        ['Page views', (o: Overview) => o.page_views],
      ] as const) {
        const region = page.getByRole('region', { name: card, exact: true });
        expect({ card, title: await region.locator('.figure data').getAttribute('title'), change: await region.locator('.change-text').textContent() }).toEqual({
          card,
          title: formatExact(pick(current)),
          change: formatChange(pick(current), pick(before)).text,
        });
      }
      const days = rangeDays(range, tz);
      const [dau, wau, mau] = await Promise.all(
        ['', '&rolling=7', '&rolling=30'].map((r) =>
          service.api<ActiveUsers>(`/api/analytics/active-users?interval=day&from=${days.from}&to=${days.to}&tz=${encodeURIComponent(tz)}${r}`),
        ),
      );
      expect(dau.tz).toBe(tz);
      expect(await readRows(page.locator('#main section:has(#card-active-users) details tbody tr'))).toEqual(
        dau.data.map((d, i) => [d.period_start, formatExact(d.unique_users), formatExact(wau.data[i].unique_users), formatExact(mau.data[i].unique_users)]),
      );
    });
  }

  it('the seed is placed so that the same local day differs between the zones tested', async () => {
    const figures = await Promise.all(ZONES.map(async (tz) => (await apiFigures(tz)).current));
    const summary = figures.map((f) => [f.total_events, f.unique_users, f.page_views]);
    expect(summary).toEqual([
      [3, 2, 1], // UTC: u1 ×2, u2
      [3, 2, 2], // Kathmandu: u0, u1 ×2
      [4, 2, 1], // Los Angeles: u2, u3 ×3
    ]);
    expect(figures.map((f) => f.from)).toEqual(ZONES.map((tz) => dayStart(D, tz).toISOString()));
  });

  it("defaults to the browser's zone, writes it into the URL, and keeps it across a reload", async () => {
    p = await CheckedPage.open(chromium.browser, service.url, { timezoneId: 'Asia/Kathmandu' });
    // Chromium may name the zone by its old name (Asia/Katmandu); the page uses the current one.
    expect(['Asia/Kathmandu', 'Asia/Katmandu']).toContain(await p.page.evaluate('Intl.DateTimeFormat().resolvedOptions().timeZone'));
    const browserZone = 'Asia/Kathmandu';
    await p.goto(`/?range=custom&from=${D}&to=${D}`);
    await eventually(async () => expect(zoneOf(p.page)).toBe(browserZone));
    expect(await zoneSelect(p.page).inputValue()).toBe(browserZone);
    // The browser's zone is offered first, named as such.
    expect(await zoneSelect(p.page).locator('option').first().textContent()).toBe(`${browserZone} (this browser)`);
    await p.page.getByText('Active users per day: the figures as a table').click();
    await expectDayMatchesApi(p.page, browserZone);
    await p.page.getByText('Days are local days of Asia/Kathmandu (now UTC+05:45).').waitFor();

    // Another zone, chosen in the selector: the URL, the range and every figure follow it.
    await zoneSelect(p.page).selectOption('America/Los_Angeles');
    await eventually(async () => expect(zoneOf(p.page)).toBe('America/Los_Angeles'));
    await expectDayMatchesApi(p.page, 'America/Los_Angeles');
    await p.page.reload({ waitUntil: 'load' });
    expect(zoneOf(p.page)).toBe('America/Los_Angeles');
    expect(await zoneSelect(p.page).inputValue()).toBe('America/Los_Angeles');
    await p.page.getByText('Active users per day: the figures as a table').click();
    await expectDayMatchesApi(p.page, 'America/Los_Angeles');
    // Back goes to the zone before.
    await p.page.goBack({ waitUntil: 'load' });
    await eventually(async () => expect(zoneOf(p.page)).toBe(browserZone));
    await p.check('overview-time-zone');
  });

  it('a shared URL shows the same figures in a browser of another zone; UTC is on offer', async () => {
    p = await CheckedPage.open(chromium.browser, service.url, { timezoneId: 'America/New_York' });
    await p.goto(`/?range=custom&from=${D}&to=${D}&tz=Asia/Kathmandu`);
    expect(await zoneSelect(p.page).inputValue()).toBe('Asia/Kathmandu');
    await p.page.getByText('Active users per day: the figures as a table').click();
    await expectDayMatchesApi(p.page, 'Asia/Kathmandu');
    await zoneSelect(p.page).selectOption('UTC');
    await eventually(async () => expect(zoneOf(p.page)).toBe('UTC'));
    await expectDayMatchesApi(p.page, 'UTC');
    // The presets are local days too: "today" starts at the zone's midnight.
    await p.page.getByLabel('Date range').selectOption('today');
    await zoneSelect(p.page).selectOption('Asia/Kathmandu');
    await eventually(async () => {
      const span = p.page.locator('#main .range-note [data-from]');
      expect(await span.getAttribute('data-from')).toBe(resolveRange('today', new Date(), undefined, 'Asia/Kathmandu').from.toISOString());
    });
    p.assertClean();
  });

  it('lists every IANA zone the browser knows, reachable by keyboard, and the navigation keeps the zone', async () => {
    p = await CheckedPage.open(chromium.browser, service.url, { timezoneId: 'UTC' });
    await p.goto(`/?range=custom&from=${D}&to=${D}`);
    await eventually(async () => expect(zoneOf(p.page)).toBe('UTC'));
    const known = (await p.page.evaluate("Intl.supportedValuesOf('timeZone')")) as string[];
    const offered = (await zoneSelect(p.page).locator('option').evaluateAll(new Function('options', 'return options.map((o) => o.value)') as (o: unknown[]) => string[])) as string[];
    expect(offered.length).toBe(new Set(offered).size);
    // Every zone the browser knows, a few renamed ones by their current names (Kathmandu, Kolkata…).
    const renamed = known.filter((zone) => !offered.includes(zone));
    expect(renamed.length).toBeLessThanOrEqual(10);
    expect(offered.length).toBe(new Set([...known, 'UTC']).size);
    expect(offered).toEqual(expect.arrayContaining(['UTC', 'Asia/Kathmandu', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns']));
    // Keyboard: focus the selector, type the start of a zone's name (the select's type-ahead).
    await zoneSelect(p.page).focus();
    await p.page.keyboard.type('Asia/Tokyo');
    await eventually(async () => expect(zoneOf(p.page)).toBe('Asia/Tokyo'));
    await expectDayMatchesApi(p.page, 'Asia/Tokyo');
    // The other zoned page's link carries the zone; a page without analytics does not need it.
    expect(await p.page.getByRole('link', { name: 'Overview', exact: true }).getAttribute('href')).toBe('/?tz=Asia%2FTokyo');
    expect(await p.page.getByRole('link', { name: 'Events', exact: true }).getAttribute('href')).toBe('/events');
    // A tz that names no zone gives way to the browser's.
    await p.goto(`/?range=custom&from=${D}&to=${D}&tz=Mars%2FOlympus`);
    await eventually(async () => expect(zoneOf(p.page)).toBe('UTC'));
    await expectDayMatchesApi(p.page, 'UTC');
    p.assertClean();
  });
});
