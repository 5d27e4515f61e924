import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/**
 * Access in the browser: the open banner while no key exists; once keys exist, the key form,
 * a wrong key explained in words, a read key's admin actions disabled with the reason, and
 * "Forget key". Sequential: the tests share one service whose keys they change.
 */
jest.setTimeout(90_000);

const STORAGE_KEY = 'tracking-service.api-key';

/**
 * The windows page (and its Compute now) is built by another change of issue 13; until it
 * replaces the scaffold's placeholder, its two tests show as skipped rather than failing.
 */
const windowsPageBuilt = !readFileSync(join(__dirname, '..', '..', 'web', 'src', 'pages', 'windows.tsx'), 'utf8').includes('Placeholder');
const itWithWindowsPage = windowsPageBuilt ? it : it.skip;

describeBrowser('access in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  const keys = { read: '', admin: '' };
  beforeAll(async () => {
    service = await startBrowserService();
  });
  afterAll(async () => {
    await service?.db.query('TRUNCATE api_keys'); // leave the database open for the other test files
    await service?.close();
  });
  beforeEach(async () => {
    p = await CheckedPage.open(chromium.browser, service.url);
  });
  afterEach(async () => {
    await p.close();
  });

  const keyField = () => p.page.getByLabel('API key');
  const useKey = async (secret: string) => {
    await keyField().fill(secret);
    await p.page.getByRole('button', { name: 'Use this key' }).click();
  };
  const storedKey = () => p.page.evaluate(`sessionStorage.getItem(${JSON.stringify(STORAGE_KEY)})`);

  it('says in a visible banner that the service is open while no key exists, and asks for none', async () => {
    await p.goto('/');
    const banner = p.page.getByRole('status').filter({ hasText: 'This service is open' });
    await banner.waitFor();
    expect(await banner.isVisible()).toBe(true);
    expect(await keyField().count()).toBe(0);
    await p.check('access-open-banner');
  });

  /**
   * With keys on, the UI asks GET /api/access without a key and gets the 401 that tells it to
   * show the form; Chromium logs every 4xx response as a console error, so that one is expected.
   */
  const allowAccessProbe = () => p.allow(/status of 401 \(Unauthorized\) \(http:\/\/127\.0\.0\.1:\d+\/api\/access\)$/);

  it('asks for a key once keys exist, and explains a wrong one in words', async () => {
    keys.read = await service.createKey('read');
    keys.admin = await service.createKey('admin');
    allowAccessProbe();
    await p.goto('/');
    await keyField().waitFor();
    expect(await p.page.getByRole('status').filter({ hasText: 'This service is open' }).count()).toBe(0);
    await p.check('access-key-form');

    await useKey('tsk_' + 'x'.repeat(43));
    const alert = p.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/did not accept the API key: it is missing, unknown or revoked/);
    expect(await keyField().isVisible()).toBe(true);
    expect(await storedKey()).toBeNull(); // the refused key is not kept
    await p.screenshot('access-wrong-key');
    p.assertClean();
  });

  it('works with a read key, names it in the header, and forgets it', async () => {
    allowAccessProbe();
    await p.goto('/');
    await useKey(keys.read);
    const forget = p.page.getByRole('button', { name: 'Forget key' });
    await forget.waitFor();
    expect(await storedKey()).toBe(keys.read);
    expect(await p.page.getByRole('banner').textContent()).toMatch(/\(read\)/);
    await p.page.getByRole('link', { name: 'Events' }).click();
    await p.settle();
    expect(await forget.isVisible()).toBe(true); // the key holds across pages

    await forget.click();
    await keyField().waitFor();
    expect(await storedKey()).toBeNull();
    p.assertClean();
  });

  itWithWindowsPage("shows a read key the windows page's Compute now disabled, with the reason", async () => {
    allowAccessProbe();
    await p.goto('/windows');
    await useKey(keys.read);
    const compute = p.page.getByRole('button', { name: /compute now/i });
    await compute.waitFor();
    expect(await compute.isDisabled()).toBe(true);
    expect(await reasonFor(compute)).toMatch(/"admin" scope|admin key/i);
    await p.settle();
    await p.check('access-read-key-windows');
  });

  itWithWindowsPage('enables Compute now for an admin key', async () => {
    allowAccessProbe();
    await p.goto('/windows');
    await useKey(keys.admin);
    const compute = p.page.getByRole('button', { name: /compute now/i });
    await compute.waitFor();
    expect(await compute.isEnabled()).toBe(true);
    p.assertClean();
  });

  /** Why a control is disabled, as a person or a screen reader finds it: its description, its title, or the text beside it. */
  async function reasonFor(control: ReturnType<typeof p.page.getByRole>): Promise<string> {
    // A function, not a string: a string is evaluated as an expression, and a function value comes back undefined.
    // (The test tsconfig has no DOM types, hence the loose ones.)
    return control.evaluate((el: any) => {
      const doc = (globalThis as any).document;
      const described = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
        .map((id: string) => doc.getElementById(id)?.textContent || '').join(' ');
      const beside = (el.parentElement?.textContent || '').replace(el.textContent || '', '');
      return [described, el.getAttribute('title') || '', beside].join(' | ');
    });
  }
});
