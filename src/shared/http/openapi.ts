import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PUBLIC_OPERATION_EXTENSION } from './route-access';

/** Marks the operations a public ingestion key (scope `ingest`) may call. */
export const INGEST_KEY_EXTENSION = 'x-ingest-key';

const TAGS: Array<[string, string]> = [
  ['events', 'Record and read events.'],
  ['metrics', 'Per-user activity metrics of fixed 4-hour UTC windows.'],
  ['analytics', 'Active users and overviews.'],
  ['operations', 'Health checks and Prometheus metrics.'],
  ['access', 'What the API key sent may do (the dashboard asks before showing actions).'],
  ['users', 'Erasure of a user: their events, metrics and place in every figure.'],
  ['compat: 000 user logins', 'Drop-in routes of system 000 (daily and monthly unique logins). Errors: {"error": "…"}.'],
  ['compat: 001 ingestion and reporting', 'Drop-in routes of system 001. Errors: {"status": "fail", …} or {"status": "error", …}.'],
  ['compat: 002 summary', 'Drop-in routes of system 002. Errors: {"error": "…"}.'],
  ['compat: 004 events and stats', 'Drop-in routes of system 004 (FastAPI). Errors: {"detail": …}.'],
  ['tracker', 'Our browser tracker: the script /t.js and POST /api/collect, where it sends page views, track() and identify() without an API key.'],
  ['compat: segment', "Segment's HTTP Tracking API (analytics-node and the other Segment libraries): the write key as Basic user name or writeKey. Errors: {\"success\": false, \"message\": …}."],
  ['compat: posthog', "PostHog's capture API (posthog-node, posthog-js): the key as api_key or token in the body. Errors: {\"type\", \"code\", \"detail\", \"attr\"}."],
  ['compat: umami', "Umami's collection API (its tracker script and @umami/node): no key, the site in payload.website. Errors: {\"error\": {\"message\", \"code\", \"status\"}}."],
  ['compat: plausible', "Plausible's events endpoint (its script's data-api): no key, the site in d. Errors: {\"errors\": {\"<field>\": [\"…\"]}}."],
];

/** Names of the request schemas whose unknown fields are rejected (400), filled by @RejectsUnknownFields(). */
const CLOSED_SCHEMAS = new Set<string>();

/**
 * On a body DTO validated by the global pipe (unknown fields are a 400): its schema gets
 * `additionalProperties: false`, so clients and contract testers know extra fields are refused.
 */
export const RejectsUnknownFields = (): ClassDecorator => (target) => {
  CLOSED_SCHEMAS.add(target.name);
};

const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': 'Requests allowed per second for this key (or client address) and scope; sent when rate limits are on.',
  'RateLimit-Remaining': 'Requests left in the current second.',
  'RateLimit-Reset': 'Seconds until the budget refills.',
};

/**
 * The OpenAPI document of the HTTP API, made from the controllers' decorators. One builder
 * for the served /docs-json and for `npm run openapi` (which lints it), so the linted
 * document is the served one.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  options: { openWriteRoutes?: readonly string[]; ingestRoutes: Iterable<string> },
): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tracking Service')
    .setDescription(
      'Records what users do and turns it into activity figures. Errors of the native API are RFC 9457 problem ' +
        'details (application/problem+json) listing every invalid field; the compatibility routes answer errors ' +
        'in the shape of the system they replace.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This service (production, or a local instance: the API is the same)')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API key (tsk_…) created with npm run keys. An opaque key, not a JWT.' },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key, as a header' }, 'api-key')
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: "Segment's way (its routes only): the API key as user name, an empty password. Or writeKey in the body." },
      'segment-write-key',
    )
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key');
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  markPublicOperations(document);
  markOpenWriteRoutes(document, options.openWriteRoutes ?? []);
  markIngestRoutes(document, options.ingestRoutes);
  for (const name of CLOSED_SCHEMAS) {
    const schema = document.components?.schemas?.[name];
    if (schema && !('$ref' in schema)) schema.additionalProperties = false;
  }
  addCommonHeaders(document);
  // Self-hosted: whoever runs it decides who may reach it; the API itself is meant for clients.
  for (const server of document.servers ?? []) Object.assign(server, { 'x-internal': false });
  return document;
}

/**
 * Routes left open by OPEN_WRITE_ROUTES accept a request without a key (the empty requirement
 * `{}`), and still check a key that is sent.
 */
function markOpenWriteRoutes(document: OpenAPIObject, routes: readonly string[]): void {
  for (const route of routes) {
    const [method, path] = route.split(' ');
    const operation = (document.paths[path] as Record<string, Record<string, unknown>> | undefined)?.[method.toLowerCase()];
    if (!operation) continue;
    operation.security = [{}, { bearer: [] }, { 'api-key': [] }];
    operation.description = `${String(operation.description ?? '')} Open without a key on this deployment (OPEN_WRITE_ROUTES), limited per client address; a key that is sent is still checked.`.trim();
  }
}

/**
 * The routes that record events (`METHOD /path`, the access module's INGEST_ROUTES, passed in
 * so that this shared module depends on no feature) also take a public ingestion key (scope
 * `ingest`), bound to its site and origins; every other route refuses one with 403.
 */
function markIngestRoutes(document: OpenAPIObject, ingestRoutes: Iterable<string>): void {
  for (const route of ingestRoutes) {
    const [method, path] = route.split(' ');
    const operation = (document.paths[path] as Record<string, Record<string, unknown>> | undefined)?.[method.toLowerCase()];
    if (!operation) continue;
    operation[INGEST_KEY_EXTENSION] = true;
    // These routes also read a text/plain body as JSON (useStrictJsonBodies' textPlainRoutes, the
    // same list): the same schema and examples under that media type.
    const content = (operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content;
    if (content?.['application/json']) content['text/plain'] = content['application/json'];
    operation.description = (
      `${String(operation.description ?? '')} Also takes a public ingestion key (scope "ingest"): its events are stored for the key's site ` +
      '(a site_id left out is filled in; one naming another site is a 403 and nothing is stored), and a browser may send it only ' +
      "from one of the key's origins (others: 403); CORS preflights are answered for the origins of the active ingest keys."
    ).trim();
  }
}

/** Routes marked by @Public() need no key: `security: []` overrides the global requirement. */
function markPublicOperations(document: OpenAPIObject): void {
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods) as Array<Record<string, unknown>>) {
      if (typeof operation !== 'object' || operation === null || !(PUBLIC_OPERATION_EXTENSION in operation)) continue;
      delete operation[PUBLIC_OPERATION_EXTENSION];
      operation.security = [];
    }
  }
}

/**
 * Headers every response can carry, added here rather than on each route so that no route
 * can miss them: X-Request-Id always; RateLimit-* on the routes behind the key guard (the
 * public ones have no limit); Access-Control-Allow-Origin only when CORS_ORIGINS is set.
 */
function addCommonHeaders(document: OpenAPIObject): void {
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
  document.components ??= {};
  document.components.headers = {
    'X-Request-Id': { description: 'The id of this request in the logs (the client’s own X-Request-Id when it sent a valid one).', schema: { type: 'string', maxLength: 128 } },
    'Access-Control-Allow-Origin': {
      description:
        'Sent when CORS_ORIGINS is configured and the request comes from an allowed origin, and on the event-recording routes ' +
        "when a public ingestion key is used from one of its origins.",
      schema: { type: 'string', maxLength: 2048 },
    },
    ...Object.fromEntries(
      Object.entries(RATE_LIMIT_HEADERS).map(([name, description]) => [
        name,
        { description, schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 } },
      ]),
    ),
  };
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      for (const [status, response] of Object.entries(operation.responses as Record<string, { headers?: Record<string, unknown> }>)) {
        const headers: Record<string, unknown> = { 'X-Request-Id': ref('X-Request-Id'), 'Access-Control-Allow-Origin': ref('Access-Control-Allow-Origin') };
        if (!isPublic && /^[24]/.test(status)) for (const name of Object.keys(RATE_LIMIT_HEADERS)) headers[name] = ref(name);
        response.headers = { ...headers, ...response.headers };
      }
    }
  }
}
