import type { FastifyInstance } from 'fastify';

/** Route config key (set with `@RouteConfig`) holding the route's body limit in bytes. */
export const BODY_LIMIT_KEY = 'bodyLimit';

/** Every route accepts at most this much unless it declares its own limit. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Applies each route's declared body limit; must run before routes are registered. */
export function applyRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT_KEY];
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
}
