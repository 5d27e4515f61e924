import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The dashboard's client-side routes: each answers the built index.html, and the app in the
 * browser shows the page. Listed one by one, not a catch-all, so that every other path (an
 * unknown /api/… above all) is still the API's 404 problem and never the HTML page.
 */
export const DASHBOARD_ROUTES = ['/', '/events', '/users/:userId', '/windows', '/live', '/retention'] as const;

/** Built assets have content hashes in their names: cacheable for a year, never revalidated. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/** dist/web of this checkout or image, found from the package root whether running from src/ (tests) or dist/. */
export function dashboardDir(from = __dirname): string | null {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const built = join(dir, 'dist', 'web');
      return existsSync(join(built, 'index.html')) ? built : null;
    }
  }
  return null;
}

/**
 * Serves the built dashboard (Vite's output in dist/web) from the API's own process:
 * /assets/* with immutable caching, index.html (never cached, so a new release is picked up
 * at once) at each client route.
 */
export async function serveDashboard(fastify: FastifyInstance, root: string): Promise<void> {
  await fastify.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    // One route per built file, found at start: no wildcard route that could shadow the API.
    wildcard: false,
    index: false,
    // Vite's build writes .br and .gz beside each asset (web/vite.config.ts).
    preCompressed: true,
    maxAge: ASSET_MAX_AGE_MS,
    immutable: true,
    schemaHide: true,
  });
  for (const url of DASHBOARD_ROUTES) {
    fastify.get(url, (_request, reply) =>
      reply.header('Cache-Control', 'no-cache').sendFile('index.html', root, { cacheControl: false }),
    );
  }
}
