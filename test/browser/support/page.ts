import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
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

  /** `options` adds to the context's (a `timezoneId` for the browser's own zone, say). */
  static async open(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<CheckedPage> {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 }, ...options });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return new CheckedPage(context, page, baseUrl);
  }

  /** Navigates to a path of the service and waits for its load event (scripts run). */
  async goto(path: string): Promise<void> {
    const res = await this.page.goto(path, { waitUntil: 'load' });
    if (!res) throw new Error(`no response for ${path}`);
  }

  /**
   * Waits until the page has rendered its main region and nothing in it is loading any more
   * (no aria-busy="true": the cards' loading state). Not "network idle": the live page keeps
   * a stream open for good.
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    await this.page.getByRole('main').first().waitFor({ timeout: timeoutMs });
    // A function, not a string: a string predicate is eval()ed in the page, which the UI's policy refuses.
    const idle = () => (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('[aria-busy="true"]') === null;
    await this.page.waitForFunction(idle, undefined, { timeout: timeoutMs });
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
  async assertAccessible(label = this.page.url()): Promise<void> {
    const serious = (await this.axe()).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const listed = serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n    ${v.nodes.join('\n    ')}`);
    expect({ page: label, violations: listed }).toEqual({ page: label, violations: [] });
  }

  /** A full-page PNG in test-output/screenshots/<name>.png (a CI artifact, not committed). */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /**
   * The usual end of a page test: no console error, and no serious axe violation in the light
   * and in the dark colour scheme (the UI declares both), each with its screenshot.
   */
  async check(name: string): Promise<void> {
    this.assertClean();
    for (const scheme of ['light', 'dark'] as const) {
      await this.page.emulateMedia({ colorScheme: scheme });
      await this.screenshot(scheme === 'light' ? name : `${name}-dark`);
      await this.assertAccessible(`${this.page.url()} (${scheme})`);
    }
    await this.page.emulateMedia({ colorScheme: 'light' });
    this.assertClean(); // axe itself must not make the page log errors
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
