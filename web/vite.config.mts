import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes a .br and a .gz beside each built script and stylesheet; the service sends them to
 * browsers that accept them (@fastify/static's preCompressed), so it never compresses per request.
 */
function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const outDir = options.dir!;
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|svg|json)$/.test(name) || name.startsWith('.vite/')) continue;
        const file = join(outDir, name);
        const content = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

/**
 * The dashboard: built into dist/web/, which the service serves at `/` (src/web/).
 * No framework plugin: Preact's JSX is compiled by Vite's own TypeScript transform
 * (tsconfig's jsxImportSource), which keeps Babel out of the install.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [precompress()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // The budget script (npm run web:budget) reports gzipped sizes; this is only Vite's warning.
    chunkSizeWarningLimit: 250,
  },
  // `npm run web:dev`: the UI with hot reload, the API proxied to a running service.
  server: {
    proxy: Object.fromEntries(
      ['/api', '/health', '/docs-json'].map((path) => [path, { target: process.env.API_URL ?? 'http://127.0.0.1:8080' }]),
    ),
  },
});
