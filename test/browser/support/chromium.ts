import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * The system Chromium the browser tests and the dashboard benchmark drive through
 * playwright-core: the Debian package (`apt-get install -y chromium`), never a browser
 * downloaded by Playwright. CHROMIUM_PATH overrides the search.
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium', '/usr/bin/google-chrome'];

/** Flags that work headless as root on a CI machine without a GPU or network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SKIPPED_LINE =
  'browser tests skipped: Chromium not found — install it with "apt-get install -y chromium" or set CHROMIUM_PATH';

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Chromium executable to use, or null when none is installed (or CHROMIUM_PATH is wrong). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  return CANDIDATES.find(executable) ?? null;
}

/**
 * Launches Chromium headless. Playwright gives every launch a fresh temporary profile
 * (user-data-dir) and removes it on close, so runs share no cookies, storage or cache.
 */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
}
