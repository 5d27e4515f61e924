import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config';
import { ANY_SCOPE, PUBLIC_ROUTE, ROUTE_SCOPE } from '../../../shared/http/route-access';
import { ApiKeyAuthenticator } from '../../application/api-key-authenticator';
import { ApiKey, IngestKeyRouteError, isSiteId, RateLimitedError, Scope } from '../../domain/api-key';
import { ValidationFailedError } from '../../../shared/errors';
import { SITE_ROUTES, SiteRoute } from './site-routes';
import { allowKeyOrigin, bindToKeySite, exposeRefusal, INGEST_ROUTES } from './ingest-routes';
import { SEGMENT_ROUTES, segmentSecretOf } from '../../../segment/ports/http/segment-routes';
import { POSTHOG_ROUTES, posthogSecretOf } from '../../../posthog/ports/http/posthog-routes';

/** Rate limits count requests (a batch is one) in windows of one second. */
const RATE_WINDOW_MS = 1000;

export type RequestWithKey = FastifyRequest & { apiKey?: ApiKey | null };

/**
 * The one access check for every route (a global guard): no per-route code. Authenticates
 * the key, checks its scope, then applies the rate limit of the route's scope to the key —
 * or to the client address while the service is open — with @nestjs/throttler's storage,
 * answering with the standard RateLimit-* headers and 429 + Retry-After beyond it.
 * Failed authentications are budgeted per client address by the authenticator. The compatibility
 * write routes of OPEN_WRITE_ROUTES need no key: a request without one is limited per address.
 * A public ingestion key (scope `ingest`) passes only on INGEST_ROUTES, only from its origins,
 * and its events are bound to its site (ingest-routes.ts); it is limited as a write. A keyless
 * request on a route of SITE_ROUTES (SDKs that name only their site) stands for that site's
 * public ingestion key (site-routes.ts).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly openRoutes: Set<string>;

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly rates: ThrottlerStorageService,
    private readonly config: AppConfig,
  ) {
    this.openRoutes = new Set(config.openWriteRoutes);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<RequestWithKey>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const required: Exclude<Scope, 'ingest'> | typeof ANY_SCOPE =
      this.reflector.getAllAndOverride<Exclude<Scope, 'ingest'> | typeof ANY_SCOPE>(ROUTE_SCOPE, targets) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    const route = `${request.method} ${request.routeOptions.url}`;
    const secret = SEGMENT_ROUTES.has(route)
      ? segmentSecretOf(request, secretOf(request))
      : POSTHOG_ROUTES.has(route)
        ? posthogSecretOf(request, secretOf(request))
        : secretOf(request);
    if (secret === undefined && this.openRoutes.size > 0 && this.openRoutes.has(route)) {
      request.apiKey = null;
      await this.limitRate(request, reply, 'write');
      return true;
    }
    if (required === ANY_SCOPE) {
      request.apiKey = await this.authenticator.identify(secret, request.ip);
      if (request.apiKey?.scope === 'ingest') throw new IngestKeyRouteError();
      await this.limitRate(request, reply, 'read');
      return true;
    }
    const siteRoute = secret === undefined ? SITE_ROUTES.get(route) : undefined;
    const key = siteRoute
      ? await this.authorizeSite(request, reply, siteRoute)
      : await this.authenticator.authorize(secret, required, request.ip, INGEST_ROUTES.has(route));
    request.apiKey = key;
    if (key?.scope === 'ingest') {
      // Headers first, so that a 429 or a refused site is readable by the page's script.
      allowKeyOrigin(typeof request.headers.origin === 'string' ? request.headers.origin : undefined, key, reply);
      await this.limitRate(request, reply, 'write');
      bindToKeySite(route, request.body, key);
      return true;
    }
    await this.limitRate(request, reply, required);
    return true;
  }

  /**
   * A keyless request on a SITE_ROUTES route stands for its site's public ingestion key. Its
   * refusals are readable by the page that sent it (exposeRefusal), so that a script does not
   * retry them as network errors.
   */
  private async authorizeSite(request: RequestWithKey, reply: FastifyReply, siteRoute: SiteRoute): Promise<ApiKey | null> {
    const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
    try {
      const site = siteRoute.siteOf(request.body);
      if ((await this.authenticator.mode()) === 'open') return null;
      if (typeof site !== 'string' || !isSiteId(site)) {
        throw new ValidationFailedError([{ path: siteRoute.field, message: `${siteRoute.field} must name the site (1 to 128 characters)` }]);
      }
      return await this.authenticator.authorizeSite(site, origin, siteRoute.field);
    } catch (error) {
      exposeRefusal(origin, reply);
      throw error;
    }
  }

  private async limitRate(request: RequestWithKey, reply: FastifyReply, scope: Exclude<Scope, 'ingest'>): Promise<void> {
    const limit = this.config.rateLimits[scope];
    if (limit === 0) return;
    // A public (ingest) key is shared by every visitor of its site, and anyone may copy it: its
    // budget is per key and client address, so one abuser cannot use up the site's, and a busy
    // site is not limited as a whole. A secret key's budget is the key's.
    const client = !request.apiKey
      ? `ip:${request.ip}`
      : request.apiKey.scope === 'ingest'
        ? `key:${request.apiKey.id}:ip:${request.ip}`
        : `key:${request.apiKey.id}`;
    const record = await this.rates.increment(`${client}:${scope}`, RATE_WINDOW_MS, limit, 0, scope);
    const reset = Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire);
    void reply
      .header('RateLimit-Limit', String(limit))
      .header('RateLimit-Remaining', String(Math.max(0, limit - record.totalHits)))
      .header('RateLimit-Reset', String(reset));
    if (record.isBlocked) throw new RateLimitedError(reset);
  }
}

/** The secret a request carries: `Authorization: Bearer …`, else `X-API-Key`. */
export function secretOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}
