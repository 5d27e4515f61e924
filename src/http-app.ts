import { LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { Telemetry } from './observability/telemetry';
import { AppConfig, LogLevel } from './config';
import { bindRequestLogger, fastifyLoggerOptions, requestIdOf } from './shared/logging';
import { applyRouteBodyLimits, DEFAULT_BODY_LIMIT } from './shared/http/body-limit';
import { buildOpenApiDocument } from './shared/http/openapi';
import { useStrictJsonBodies } from './shared/http/body-parsing';
import { answerClientError, MissingHostError } from './shared/http/client-errors';
import { dashboardDir, serveDashboard } from './dashboard/serve-dashboard';
import { ApiKeyAuthenticator } from './access/application/api-key-authenticator';
import { answerIngestPreflights, ingestAwareCors, INGEST_ROUTES } from './access/ports/http/ingest-routes';
import { usePosthogBodies } from './posthog/ports/http/posthog-bodies';

/** How long a client may take to send a whole request (the README promises 30 s). */
export const REQUEST_TIMEOUT_MS = 30_000;

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function nestLogLevels(level: LogLevel): NestLogLevel[] {
  return NEST_LEVELS[level];
}

/**
 * Builds the HTTP application exactly as it runs in production; the e2e tests use this too,
 * so what they exercise is what users get. Returns an initialised app that is not listening.
 */
export async function createHttpApp(config: AppConfig, options: { requestTimeoutMs?: number } = {}): Promise<NestFastifyApplication> {
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMIT,
    // While closing, new requests on kept-alive connections get 503 and idle sockets close.
    return503OnClosing: true,
    // A path parameter is measured percent-encoded: DELETE /api/users/{user_id} must take every
    // user id the events API stores (128 characters, up to 9 encoded bytes each); Fastify's
    // default of 100 answered 414 to longer ones.
    routerOptions: { maxParamLength: 128 * 9 },
    forceCloseConnections: 'idle',
    // The whole request (headers and body) within this time, or a 408 problem. Given to Node
    // at construction: set later (as Fastify does), headersTimeout stays at 60 s and a slow
    // body ran far past it; and checked every second instead of every 30.
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, connectionsCheckingInterval: 1000, requireHostHeader: false } as never,
    clientErrorHandler: answerClientError,
    requestIdHeader: false,
    // The client address (rate limits, failed-authentication budget) behind a load balancer.
    trustProxy: config.trustProxy,
    genReqId: requestIdOf,
    logger: fastifyLoggerOptions(config),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    // Held until the JSON logger takes over, so that start-up lines are JSON too.
    bufferLogs: true,
    logger: nestLogLevels(config.logLevel),
    // Throw instead of process.abort() when a module fails to start (database unreachable
    // after the retries): main() logs one line and exits 1.
    abortOnError: false,
  });
  app.useLogger(app.get(PinoLogger));
  const fastify = app.getHttpAdapter().getInstance();
  bindRequestLogger(fastify);
  // Security headers on every response. The API and the dashboard get a strict content
  // security policy (scripts and styles only from this origin, no inline code). Swagger UI
  // (/docs) needs inline styles and scripts, so its pages alone allow exactly those.
  const strictHeaders = securityHeaders({ contentSecurityPolicy: { directives: STRICT_CSP } });
  const docsHeaders = securityHeaders({
    contentSecurityPolicy: {
      directives: { ...STRICT_CSP, styleSrc: [`'self'`, `'unsafe-inline'`], scriptSrc: [`'self'`, `'unsafe-inline'`] },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/docs') ? docsHeaders : strictHeaders);
    // Node would answer a bare 400 itself (requireHostHeader); we answer a problem instead.
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      void reply.header('Connection', 'close');
      return done(new MissingHostError());
    }
    done();
  });
  // PostHog's gzip bodies (also unlabelled, as posthog-js sends them), decoded with a bound; before the generic decoder.
  usePosthogBodies(fastify);
  // The routes that record events also read text/plain bodies as JSON (sendBeacon, analytics.js).
  useStrictJsonBodies(fastify, { textPlainRoutes: new Set(INGEST_ROUTES.keys()) });
  applyRouteBodyLimits(fastify);
  recordHttpMetrics(fastify, app.get(Telemetry));
  closeConnectionsWhenClosing(fastify);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('X-Request-Id', request.id);
    done(null, payload);
  });
  // CORS_ORIGINS for the API, and the preflights of the ingestion routes for the origins of the
  // public ingestion keys (the keys' real requests get their CORS headers from the key guard).
  const authenticator = app.get(ApiKeyAuthenticator);
  if (config.corsOrigins.length > 0) app.enableCors({ delegator: ingestAwareCors(config.corsOrigins, authenticator) });
  else answerIngestPreflights(fastify, authenticator);
  setupSwagger(app, config);
  await setupDashboard(app, config);
  await app.init();
  return app;
}

/**
 * Graceful shutdown: once closing starts, every response (in-flight ones included) carries
 * `Connection: close`, so keep-alive clients let go and the server can finish promptly
 * instead of waiting for their idle sockets to time out.
 */
function closeConnectionsWhenClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** Request count and latency by method, route pattern (never the raw URL) and status. */
function recordHttpMetrics(fastify: FastifyInstance, telemetry: Telemetry): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    telemetry.httpRequests.inc(labels);
    telemetry.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (labels.route === '/api/events/batch' && Array.isArray((request.body as { events?: unknown })?.events)) {
      telemetry.batchSizes.observe((request.body as { events: unknown[] }).events.length);
    }
    done();
  });
}

/** The policy of every response but Swagger UI's: nothing inline, nothing from elsewhere. */
const STRICT_CSP = {
  defaultSrc: [`'self'`],
  scriptSrc: [`'self'`],
  styleSrc: [`'self'`],
  imgSrc: [`'self'`, 'data:'],
  connectSrc: [`'self'`],
  objectSrc: [`'none'`],
  baseUri: [`'self'`],
  formAction: [`'self'`],
  frameAncestors: [`'none'`],
  // Helmet adds upgrade-insecure-requests by default: a browser would then fetch the
  // dashboard's scripts over https from a service reached at http://10.0.0.5:8080, and fail.
  upgradeInsecureRequests: null,
};

/** The web dashboard at `/`, when built (npm run build) and not switched off (DASHBOARD_ENABLED). */
async function setupDashboard(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  if (!config.dashboardEnabled) return;
  const root = dashboardDir();
  if (root === null) {
    app.get(PinoLogger).warn('The dashboard is not built (dist/web is missing): run `npm run build` to serve it at /.', 'Dashboard');
    return;
  }
  await serveDashboard(app.getHttpAdapter().getInstance(), root);
}

function setupSwagger(app: NestFastifyApplication, config: AppConfig): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, { openWriteRoutes: config.openWriteRoutes, ingestRoutes: INGEST_ROUTES.keys() }), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

/**
 * Helmet's headers for these options, computed once. They do not depend on the request, and
 * @fastify/helmet rebuilds the whole helmet middleware (CSP parsing included) on every
 * request: measured at about 6% of the CPU of a cheap request.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure) throw failure;
  return headers;
}
