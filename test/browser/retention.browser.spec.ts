import type { Page } from 'playwright-core';
import { rangeDays, resolveRange } from '../../web/src/lib/date-range';
import { formatExact, formatPercent } from '../../web/src/lib/format';
import { heatLevel, periodStartOf, retentionDays, type Period } from '../../web/src/lib/retention';
import { addDays } from '../../web/src/lib/time-zone';
import { eventually } from './support/expect-eventually';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, SeedEvent, startBrowserService } from './support/service';

/**
 * The Retention page shows GET /api/analytics/retention as a heat-map table: the same
 * cohorts, sizes, counts and fractions as the API answers for the page's period, mode, range,
 * site, action and zone (all in the URL), the colour step of each cell following its
 * fraction, with the count in words for the tooltip and screen readers; its controls work
 * from the keyboard, and axe-core finds nothing serious.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
/** The Monday four weeks before the current week's: four whole weeks of cohorts, all past. */
const W0 = addDays(periodStartOf('week', new Date(Date.now()).toISOString().slice(0, 10)), -28);
const LAST = addDays(W0, 27);
const at = (day: string, hours: number) => new Date(Date.parse(`${day}T00:00:00Z`) + hours * 3_600_000).toISOString();

/**
 * Four weekly cohorts (UTC) with known returns: week 0 a1–a4 (a1, a2 back in week 1, a1 in
 * week 2, a3 in week 3); week 1 b1–b3 (b1 back in week 2, by login; b3 first seen Monday
 * 00:30Z, still Sunday in Los Angeles); week 2 c1 (back in week 3); week 3 d1, d2. Sites shop
 * and blog; b1 and c1 log in.
 */
function cohorts(): SeedEvent[] {
  const e = (user: string, day: string, hours: number, site: string, action = 'page_view'): SeedEvent => ({
    user_id: user,
    action,
    timestamp: at(day, hours),
    site_id: site,
    path: '/',
  });
  const w = (week: number, day = 2) => addDays(W0, week * 7 + day);
  return [
    e('a1', w(0), 10, 'shop'), e('a2', w(0), 11, 'shop'), e('a3', w(0, 4), 9, 'blog'), e('a4', w(0, 5), 20, 'shop'),
    e('a1', w(1), 10, 'shop'), e('a2', w(1, 3), 10, 'blog'), e('a1', w(2), 12, 'shop'), e('a3', w(3), 15, 'blog'),
    e('b1', w(1), 8, 'blog', 'login'), e('b2', w(1, 1), 8, 'shop'), e('b3', w(1, 0), 0.5, 'blog'),
    e('b1', w(2, 3), 9, 'blog', 'login'),
    e('c1', w(2, 4), 9, 'shop', 'login'), e('c1', w(3, 1), 9, 'shop'),
    e('d1', w(3), 9, 'shop'), e('d2', w(3, 5), 23.5, 'blog'),
  ];
}

type RetentionAnswer = {
  period: Period;
  mode: string;
  tz: string;
  from: string;
  till: string;
  cohorts: Array<{ period_start: string; users: number; active: number[]; fraction: Array<number | null> }>;
};

/** What each row of the matrix carries, read in the page (the tests are compiled without the DOM's types). */
const READ_MATRIX = new Function(
  'trs',
  `return trs.map((tr) => ({
     start: tr.getAttribute('data-period-start'),
     cohort: tr.querySelector('th[scope="row"] time').getAttribute('datetime'),
     users: tr.querySelector('td data').getAttribute('value'),
     cells: Array.from(tr.querySelectorAll('td.heat')).map((td) => ({
       shown: (td.querySelector('[aria-hidden="true"]') || { textContent: '' }).textContent,
       active: td.getAttribute('data-active'),
       fraction: td.getAttribute('data-fraction'),
       level: Array.from(td.classList).find((c) => /^heat-/.test(c)),
       words: td.querySelector('.visually-hidden').textContent,
       title: td.getAttribute('title'),
     })),
   }));`,
) as (trs: unknown[]) => unknown;

describeBrowser('Retention page in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    await service.seed(cohorts());
  });
  afterAll(async () => {
    await service?.close();
  });
  beforeEach(async () => {
    p = await CheckedPage.open(chromium.browser, service.url, { timezoneId: 'UTC' });
  });
  afterEach(async () => {
    await p?.close();
  });

  const params = (page: Page) => new URL(page.url()).searchParams;
  const query = (q: Record<string, string | null | undefined>) =>
    new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => !!e[1])).toString();

  /** The matrix the page shows against the API's answer for the state in its URL; the answer. */
  async function expectMatrixMatchesApi(page: Page, custom = { from: W0, to: LAST }): Promise<RetentionAnswer> {
    let answer!: RetentionAnswer;
    await eventually(async () => {
      await page.locator('#main[data-ready="true"]').waitFor();
      const url = params(page);
      const tz = url.get('tz')!;
      const period = (url.get('period') ?? 'week') as Period;
      const asked = retentionDays(period, rangeDays(resolveRange('custom', new Date(), custom, tz), tz));
      const span = page.locator('#main .range-note [data-from]');
      expect({ from: await span.getAttribute('data-from'), till: await span.getAttribute('data-till') }).toEqual(asked);
      answer = await service.api<RetentionAnswer>(
        `/api/analytics/retention?${query({ period, ...asked, mode: url.get('mode') ?? 'new', tz, site_id: url.get('site_id'), action: url.get('action') })}`,
      );
      expect([answer.tz, answer.period]).toEqual([tz, period]);
      const width = Math.max(0, ...answer.cohorts.map((c) => c.active.length));
      const rows = await page.locator('#main table.heat-map tbody tr').evaluateAll(READ_MATRIX);
      expect(rows).toEqual(
        answer.cohorts.map((c) => ({
          start: c.period_start,
          cohort: c.period_start,
          users: String(c.users),
          cells: Array.from({ length: width }, (_, k) => {
            if (k >= c.active.length) {
              return { shown: '', active: null, fraction: null, level: 'heat-none', words: expect.stringContaining('after the range'), title: null };
            }
            const f = c.fraction[k];
            const words = `${formatExact(c.active[k])} of ${formatExact(c.users)} users active in ${period} ${k} (${f === null ? 'no users in this cohort' : formatPercent(f)})`;
            return { shown: f === null ? '–' : formatPercent(f), active: String(c.active[k]), fraction: f === null ? '' : String(f), level: `heat-${heatLevel(f) ?? 'none'}`, words, title: words };
          }),
        })),
      );
      const columns = await page.locator('#main table.heat-map thead th[scope="col"]').allTextContents();
      expect(columns).toEqual(['Cohort', 'Users', ...Array.from({ length: width }, (_, k) => `${period[0].toUpperCase()}${period.slice(1)} ${k}`)]);
    });
    return answer;
  }

  const cohortUrl = (extra = '') => `/retention?range=custom&from=${W0}&to=${LAST}&tz=UTC${extra}`;

  it('shows the weekly matrix of new users exactly as the API answers it, as a heat map', async () => {
    await p.goto(cohortUrl());
    const answer = await expectMatrixMatchesApi(p.page);
    // The seed's cohorts, as the API counts them: the test's data reaches every kind of cell.
    expect(answer.cohorts.map((c) => [c.period_start, c.users, ...c.active])).toEqual([
      [W0, 4, 4, 2, 1, 1],
      [addDays(W0, 7), 3, 3, 1, 0],
      [addDays(W0, 14), 1, 1, 1],
      [addDays(W0, 21), 2, 2],
    ]);
    // Colour steps: 100 % the darkest, 0 % the lightest, 25 % and 50 % between; the text says the value.
    const cell = (row: number, offset: number) => p.page.locator(`#main table.heat-map tbody tr:nth-child(${row}) td.heat`).nth(offset);
    expect(await cell(1, 0).getAttribute('class')).toContain('heat-5');
    expect(await cell(2, 2).getAttribute('class')).toContain('heat-0');
    expect(await cell(1, 2).getAttribute('class')).toContain('heat-2');
    expect(await cell(1, 1).getAttribute('class')).toContain('heat-3');
    expect(await cell(1, 1).textContent()).toContain('50%');
    // A real table: row headers are cohorts, column headers offsets; the caption names the zone.
    expect(await p.page.locator('#main table.heat-map caption').textContent()).toContain('UTC');
    expect(await p.page.locator('#main table.heat-map tbody th[scope="row"]').count()).toBe(4);
    await p.check('retention');
  });

  it('follows its controls — period, mode, site, action, zone — keeps them in the URL and across a reload', async () => {
    const page = p.page;
    await p.goto(cohortUrl());
    await expectMatrixMatchesApi(page);

    await page.getByLabel('Cohorts of').selectOption('returning');
    await eventually(async () => expect(params(page).get('mode')).toBe('returning'));
    const returning = await expectMatrixMatchesApi(page);
    expect(returning.cohorts.map((c) => c.users)).toEqual([4, 5, 3, 4]); // everyone active in the week

    await page.getByLabel('Site', { exact: true }).selectOption('shop');
    await eventually(async () => expect(params(page).get('site_id')).toBe('shop'));
    await expectMatrixMatchesApi(page);

    await page.getByLabel('Site', { exact: true }).selectOption('');
    await page.getByLabel('Counting').selectOption('login');
    await eventually(async () => expect([params(page).get('site_id'), params(page).get('action')]).toEqual([null, 'login']));
    const logins = await expectMatrixMatchesApi(page);
    expect(logins.cohorts.map((c) => c.users)).toEqual([0, 1, 2, 0]);
    // A cohort without users: a dash, "no users" in words, no colour step.
    await page.locator('#main table.heat-map tbody tr:first-child td.heat-none').first().waitFor();

    await page.getByLabel('Counting').selectOption('');
    await page.getByLabel('Cohorts of').selectOption('new');
    await page.getByLabel('Time zone', { exact: true }).selectOption('America/Los_Angeles');
    await eventually(async () => expect(params(page).get('tz')).toBe('America/Los_Angeles'));
    const la = await expectMatrixMatchesApi(page);
    // b3's first event, Monday 00:30Z, is still Sunday in Los Angeles: week 0's cohort there.
    expect(la.cohorts[0].users).toBe(5);

    await page.getByLabel('Cohort period').selectOption('day');
    await eventually(async () => expect(params(page).get('period')).toBe('day'));
    await expectMatrixMatchesApi(page);

    const before = page.url();
    await page.reload({ waitUntil: 'load' });
    expect(page.url()).toBe(before);
    expect(await page.getByLabel('Cohort period').inputValue()).toBe('day');
    expect(await page.getByLabel('Time zone', { exact: true }).inputValue()).toBe('America/Los_Angeles');
    await expectMatrixMatchesApi(page);
    p.assertClean();
  });

  it('works from the keyboard: the controls change the matrix, and the wide table scrolls by keys', async () => {
    const page = p.page;
    await p.goto(cohortUrl());
    await expectMatrixMatchesApi(page);
    await page.getByLabel('Cohort period').focus();
    await page.keyboard.press('ArrowDown'); // Week → Month
    await eventually(async () => expect(params(page).get('period')).toBe('month'));
    await expectMatrixMatchesApi(page);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp'); // → Day
    await eventually(async () => expect(params(page).get('period')).toBe('day'));
    await expectMatrixMatchesApi(page);
    // Tab from the last control reaches the matrix's scrolling region (named, focusable).
    await page.getByLabel('Counting').focus();
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate('[document.activeElement.getAttribute("role"), document.activeElement.getAttribute("aria-label")]')) as string[];
    expect(focused).toEqual(['region', 'Cohort matrix, scrollable']);
    await p.check('retention-days');
  });

  it('says so when no one is in the cohorts, and explains a refused request with a retry', async () => {
    await p.goto('/retention?range=custom&from=2001-01-01&to=2001-01-31&tz=UTC');
    await p.page.locator('#main[data-ready="true"]').waitFor();
    await p.page.getByRole('region', { name: 'Cohorts', exact: true }).getByText('No users in these cohorts.').waitFor();
    p.assertClean();

    // More than 400 daily cohorts: the route refuses with a problem naming the field.
    p.allow(/status of 400/);
    await p.goto(`/retention?period=day&range=custom&from=2020-01-06&to=${new Date(Date.now() - DAY).toISOString().slice(0, 10)}&tz=UTC`);
    await p.page.locator('#main[data-ready="true"]').waitFor();
    const card = p.page.getByRole('region', { name: 'Cohorts', exact: true });
    await card.getByRole('alert').waitFor();
    expect(await card.getByRole('alert').textContent()).toMatch(/till the range holds more than 400 day periods/);
    await card.getByRole('button', { name: 'Retry' }).waitFor();
    p.assertClean();
    await p.assertAccessible();
  });
});
