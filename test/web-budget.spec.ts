import { join } from 'node:path';
import { firstLoadChunks, formatBudget, JS_BUDGET_BYTES, Manifest, measureFirstLoad } from '../cmd/web-budget';

/**
 * Issue 13's budget: the overview's first load carries at most 200 kB of gzipped JavaScript.
 * Measured on the UI that `npm test`'s pretest has just built, and printed, so that CI shows it.
 */
describe('web budget', () => {
  it("keeps the overview's first load within 200 kB of gzipped JavaScript", () => {
    const budget = measureFirstLoad(join(__dirname, '..', 'dist', 'web'));
    console.log(formatBudget(budget));
    expect(budget.files.some((f) => f.kind === 'js')).toBe(true);
    expect(budget.js.gzip).toBeLessThanOrEqual(JS_BUDGET_BYTES);
  });

  const manifest: Manifest = {
    'index.html': { file: 'assets/index-1.js', src: 'index.html', isEntry: true, imports: ['_vendor-2.js'], dynamicImports: ['src/pages/events.tsx', 'src/pages/overview.tsx'], css: ['assets/index-1.css'] },
    '_vendor-2.js': { file: 'assets/vendor-2.js', imports: ['_preact-3.js'] },
    '_preact-3.js': { file: 'assets/preact-3.js', imports: ['_vendor-2.js'] },
    'src/pages/events.tsx': { file: 'assets/events-4.js', src: 'src/pages/events.tsx', isDynamicEntry: true, imports: ['_table-5.js'] },
    '_table-5.js': { file: 'assets/table-5.js' },
    'src/pages/overview.tsx': { file: 'assets/overview-6.js', src: 'src/pages/overview.tsx', isDynamicEntry: true, imports: ['_chart-7.js', '_vendor-2.js'] },
    '_chart-7.js': { file: 'assets/chart-7.js' },
  };

  it('counts the entry, its static imports (cycles once) and a lazy overview chunk, not other pages', () => {
    expect(firstLoadChunks(manifest).sort()).toEqual(['_chart-7.js', '_preact-3.js', '_vendor-2.js', 'index.html', 'src/pages/overview.tsx']);
  });

  it('counts no lazy chunk when the overview is part of the entry', () => {
    const { 'src/pages/overview.tsx': _, ...rest } = manifest;
    expect(firstLoadChunks({ ...rest, 'index.html': { ...manifest['index.html'], dynamicImports: ['src/pages/events.tsx'] } }).sort()).toEqual([
      '_preact-3.js',
      '_vendor-2.js',
      'index.html',
    ]);
  });

  it('refuses a manifest without an HTML entry or with a dangling import', () => {
    expect(() => firstLoadChunks({ 'main.ts': { file: 'a.js', isEntry: true } })).toThrow(/no HTML entry/);
    expect(() => firstLoadChunks({ 'index.html': { file: 'a.js', isEntry: true, imports: ['_gone.js'] } })).toThrow(/_gone\.js/);
  });
});
