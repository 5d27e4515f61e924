import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Issue 16's budget for the browser tracker: at most 2 KB gzipped, no dependencies. Measured on
 * the dist/tracker/t.js that `npm test`'s pretest (npm run build) has just built, as the service
 * serves it, and printed so that CI shows it.
 */
const BUDGET_BYTES = 2048;

describe('the browser tracker /t.js', () => {
  const source = readFileSync(join(__dirname, '..', 'dist', 'tracker', 't.js'));

  it(`is at most ${BUDGET_BYTES} bytes gzipped`, () => {
    const gzipped = gzipSync(source, { level: 9 }).length;
    console.log(`t.js: ${source.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('is one self-contained script: no import, no require, no other script loaded', () => {
    const text = source.toString('utf8');
    expect(text).not.toMatch(/\bimport\s*[({'"`]|\brequire\s*\(|\bimportScripts\b|createElement\(\s*[`'"]script/);
    expect(text).not.toMatch(/document\.cookie|localStorage|sessionStorage|indexedDB/);
  });
});
