import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';

const ROOT = join(__dirname, '..', '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/** axe-core's browser build, evaluated in the page (see CheckedPage.axe). */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The Chromium found by the global setup; empty when the browser suites are skipped. */
export const CHROMIUM_PATH = process.env.TEST_CHROMIUM_PATH ?? '';

/**
 * `describe` for a browser suite: skipped (the global setup printed one line saying how to
 * enable it) when no Chromium is installed.
 */
export const describeBrowser: jest.Describe = CHROMIUM_PATH ? describe : describe.skip;

/** One Chromium for the file, launched before its tests and closed after them. */
export function useBrowser(): { browser: Browser } {
  const holder = {} as { browser: Browser };
  beforeAll(async () => {
    holder.browser = await launchChromium(CHROMIUM_PATH);
  }, 60_000);
  afterAll(async () => {
    await holder.browser?.close();
  });
  return holder;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: string[];
}

/**
 * A page in a fresh browser context (its own sessionStorage and cookies) that records every
 * console error and uncaught page error from the start: a CSP violation, a failed request the
 * UI did not expect, a crash in a component. assertClean() fails the test on any of them.
 */
export class CheckedPage {
  readonly errors: string[] = [];
  private readonly allowed: RegExp[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly baseUrl: string,
  ) {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const where = message.location().url;
      this.errors.push(`console error: ${message.text()}${where ? ` (${where})` : ''}`);
    });
    page.on('pageerror', (error) => this.errors.push(`page error: ${error.name}: ${error.message}`));
    page.on('crash', () => this.errors.push('the page crashed'));
  }

  static async open(browser: Browser, baseUrl: string): Promise<CheckedPage> {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return new CheckedPage(context, page, baseUrl);
  }

  /** Navigates to a path of the service and waits until the network is quiet. */
  async goto(path: string): Promise<void> {
    const res = await this.page.goto(path, { waitUntil: 'networkidle' });
    if (!res) throw new Error(`no response for ${path}`);
  }

  /**
   * Tolerates console errors matching `pattern` from now on: for a test that provokes one
   * on purpose (Chromium logs every 401 response as "Failed to load resource").
   */
  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  unexpectedErrors(): string[] {
    return this.errors.filter((e) => !this.allowed.some((p) => p.test(e)));
  }

  /** Fails with the list of console and page errors seen so far, if there is any. */
  assertClean(): void {
    expect(this.unexpectedErrors()).toEqual([]);
  }

  /**
   * Runs axe-core on the page as it is now. Evaluated through the DevTools protocol, which
   * the page's content security policy does not apply to (an injected <script> would be
   * refused by `script-src 'self'`, and should be).
   */
  async axe(): Promise<AxeViolation[]> {
    return this.page.evaluate(`${AXE_SOURCE}
      ;axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ')),
      })))`) as Promise<AxeViolation[]>;
  }

  /** Fails on any serious or critical axe-core violation, listing each with its elements. */
  async assertAccessible(): Promise<void> {
    const serious = (await this.axe()).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n    ${v.nodes.join('\n    ')}`)).toEqual([]);
  }

  /** A full-page PNG in test-output/screenshots/<name>.png (a CI artifact, not committed). */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** The usual end of a page test: screenshot, then no console error and no serious axe violation. */
  async check(name: string): Promise<void> {
    await this.screenshot(name);
    this.assertClean();
    await this.assertAccessible();
    this.assertClean(); // axe itself must not make the page log errors
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
