import { existsSync } from 'node:fs';
import { CheckedPage, describeBrowser, useBrowser } from './support/page';
import { BrowserService, startBrowserService } from './support/service';

/** Swagger UI at /docs keeps working beside the dashboard, under its own (looser) policy. */
jest.setTimeout(60_000);

describeBrowser('Swagger UI in Chromium', () => {
  const chromium = useBrowser();
  let service: BrowserService;
  let p: CheckedPage;
  beforeAll(async () => {
    service = await startBrowserService();
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

  it('renders /docs with every documented operation and no console or CSP error', async () => {
    await p.goto('/docs');
    const doc = await service.api<{ paths: Record<string, Record<string, unknown>> }>('/docs-json');
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    await p.page.locator('.opblock').first().waitFor();
    // Swagger UI's own markup: one block per operation (it offers no accessible name per block).
    expect(await p.page.locator('.opblock').count()).toBe(operations);
    await p.page.getByText('/api/events/batch', { exact: true }).first().waitFor();
    await p.screenshot('docs');
    p.assertClean();
  });

  // The harness itself: the checks every page test relies on must be able to fail.
  it('sees a CSP violation as a console error and an unnamed button as a critical axe violation', async () => {
    await p.goto('/docs');
    p.assertClean();
    await p.page.evaluate(`(() => {
      const img = document.createElement('img');
      img.src = 'http://127.0.0.2:9/refused-by-img-src.png';
      img.alt = 'x';
      document.body.append(img);
      document.body.append(document.createElement('button'));
    })()`);
    await p.page.waitForTimeout(300);
    expect(p.unexpectedErrors()).toEqual([expect.stringMatching(/Content Security Policy/)]);
    const violations = await p.axe();
    expect(violations).toContainEqual(expect.objectContaining({ id: 'button-name', impact: 'critical' }));
    const path = await p.screenshot('harness-self-test');
    expect(existsSync(path)).toBe(true);
  });
});
