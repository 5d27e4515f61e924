import { defineConfig } from 'vite';

/**
 * The browser tracker served at /t.js: one self-contained, minified script in dist/tracker/
 * (test/tracker-size.spec.ts keeps it within 2 KB gzipped). `npm run build:web` builds it
 * after the dashboard.
 */
export default defineConfig({
  root: import.meta.dirname,
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: '../../dist/tracker',
    emptyOutDir: true,
    // Syntax every browser still in use parses (Safari 11, Chrome 61 and later).
    target: 'es2017',
    minify: true,
    lib: { entry: 't.ts', formats: ['iife'], name: 'trackerBundle', fileName: () => 't.js' },
  },
});
