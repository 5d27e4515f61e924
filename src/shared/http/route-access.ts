import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'access:public';
export const ROUTE_SCOPE = 'access:scope';

/** Reachable without an API key (health checks). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The scope a route needs. Without it: GET and HEAD need `read`, every other method `write`;
 * `admin` keys may use every route.
 */
export const RequireScope = (scope: 'read' | 'write' | 'admin') => SetMetadata(ROUTE_SCOPE, scope);
