import { freePort, spawnNode, Spawned, terminate, waitForReady } from '../support/process';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * The Live page reads GET /api/events/live with fetch streaming (the key in a header). An event
 * recorded by a second service process on the same database reaches it through PostgreSQL
 * LISTEN/NOTIFY, not through the memory of the process the browser talks to.
 */
jest.setTimeout(90_000);

describeBrowser('the Live page', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let other: Spawned;
  let otherUrl: string;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
    const port = await freePort();
    other = spawnNode('dist/src/main.js', [], { PORT: String(port), LOG_LEVEL: 'warn', METRICS_CRON_ENABLED: 'false', RATE_LIMIT_READ: '0', RATE_LIMIT_WRITE: '0' });
    await waitForReady(port, other);
    otherUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (other && other.child.exitCode === null) await terminate(other);
    await service?.close();
  });
  beforeEach(async () => {
    p = await CheckedPage.open(chromium.browser, service.url);
  });
  afterEach(async () => {
    await p.close();
  });

  const post = async (event: object) => {
    const res = await fetch(`${otherUrl}/api/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  it('shows an event posted to another process within two seconds, and counts it in this minute', async () => {
    await p.goto('/live');
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    const before = Number(await p.page.getByTestId('this-minute').textContent());
    const posted = Date.now();
    const id = await post({ user_id: 'live-user', action: 'live_check', site_id: 'site-live', path: '/now' });
    const row = p.page.getByRole('row').filter({ hasText: 'live_check' });
    await row.waitFor({ timeout: 2000 });
    expect(Date.now() - posted).toBeLessThan(2000);
    const stored = await service.api<{ user_id: string; site_id: string; path: string }>(`/api/events/${id}`);
    await expect(row.getByRole('cell').allTextContents()).resolves.toEqual(expect.arrayContaining([stored.site_id, stored.path]));
    expect(await row.getByRole('link', { name: 'live-user' }).getAttribute('href')).toBe('/users/live-user');
    expect(Number(await p.page.getByTestId('this-minute').textContent())).toBe(before + 1);
    await p.check('live-with-event');
  });

  it('filters by site through the URL: an event of another site is not shown', async () => {
    await p.goto('/live?site_id=site-wanted');
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await expect(p.page.getByLabel('Site').inputValue()).resolves.toBe('site-wanted');
    await post({ user_id: 'u1', action: 'other_site', site_id: 'site-other' });
    await post({ user_id: 'u2', action: 'wanted_site', site_id: 'site-wanted' });
    await p.page.getByRole('row').filter({ hasText: 'wanted_site' }).waitFor({ timeout: 2000 });
    expect(await p.page.getByRole('row').filter({ hasText: 'other_site' }).count()).toBe(0);
    p.assertClean();
  });

  it('holds new events while paused and shows them on resume', async () => {
    await p.goto('/live');
    await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await p.page.getByRole('button', { name: 'Pause' }).click();
    await post({ user_id: 'u3', action: 'while_paused' });
    await p.page.getByRole('button', { name: 'Resume (1 new)' }).waitFor({ timeout: 2000 });
    expect(await p.page.getByRole('row').filter({ hasText: 'while_paused' }).count()).toBe(0);
    await p.page.getByRole('button', { name: 'Resume (1 new)' }).click();
    await p.page.getByRole('row').filter({ hasText: 'while_paused' }).waitFor();
    p.assertClean();
  });
});
