import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const PUBLIC_ROUTE = 'access:public';
export const ROUTE_SCOPE = 'access:scope';

/** @nestjs/swagger's metadata key for security requirements (not exported by the package). */
const SWAGGER_SECURITY = 'swagger/apiSecurity';

/** Marks a public operation in the document; buildOpenApiDocument turns it into `security: []`. */
export const PUBLIC_OPERATION_EXTENSION = 'x-public-route';

/**
 * Reachable without an API key (health checks). The same decorator gives the route
 * `security: []` in the OpenAPI document, so the document cannot disagree with the guard.
 */
export const Public = (): ClassDecorator & MethodDecorator =>
  ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    SetMetadata(PUBLIC_ROUTE, true)(target, key!, descriptor!);
    // @nestjs/swagger keeps an empty requirement list on a controller but drops it on a method,
    // so a method is marked and the document builder gives it its empty list.
    if (descriptor) ApiExtension(PUBLIC_OPERATION_EXTENSION, true)(target, key!, descriptor);
    else SetMetadata(SWAGGER_SECURITY, [])(target as Function);
  }) as ClassDecorator & MethodDecorator;

/**
 * The scope a route needs. Without it: GET and HEAD need `read`, every other method `write`;
 * `admin` keys may use every route.
 */
export const RequireScope = (scope: 'read' | 'write' | 'admin') => SetMetadata(ROUTE_SCOPE, scope);

/** Any valid key, whatever its scope (rate-limited as a read): for a key to learn what it may do. */
export const ANY_SCOPE = 'any';
export const AnyScope = () => applyDecorators(SetMetadata(ROUTE_SCOPE, ANY_SCOPE), ApiExtension(ANY_SCOPE_EXTENSION, true));
/** Marks such an operation in the document: no key scope is "wrong" for it. */
export const ANY_SCOPE_EXTENSION = 'x-any-scope';
