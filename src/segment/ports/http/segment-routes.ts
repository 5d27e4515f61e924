import type { FastifyRequest } from 'fastify';

/** The routes of Segment's HTTP Tracking API served here. */
export const SEGMENT_ROUTES: ReadonlySet<string> = new Set(
  ['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias'].map((name) => `POST /v1/${name}`),
);

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The write key of a Segment request, the ways Segment takes it: HTTP Basic with the key as
 * user name (the password, empty, is ignored), else `writeKey` in the body; else the native
 * headers (`fallback`: Bearer, X-API-Key).
 */
export function segmentSecretOf(request: FastifyRequest, fallback: string | undefined): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (match) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      if (user.trim() !== '') return user.trim();
    }
  }
  const body = request.body;
  if (isObject(body) && typeof body.writeKey === 'string' && body.writeKey.trim() !== '') return body.writeKey.trim();
  return fallback;
}

/**
 * Where a Segment message names its site for a public ingestion key (ingest-routes.ts):
 * `context.site_id` of each message (and of a batch's shared context). A message without a
 * context gets one, so the key's site is filled in whatever the SDK sent.
 */
function contextsOf(messages: unknown[], prefix: string): Array<{ value: unknown; path: string }> {
  return messages.map((message, index) => {
    if (isObject(message) && (message.context === undefined || message.context === null)) message.context = {};
    const at = prefix === '' ? '' : `${prefix}[${index}].`;
    return { value: isObject(message) ? message.context : undefined, path: `${at}context.site_id` };
  });
}

export const SEGMENT_INGEST_ROUTES: Array<[string, (body: unknown) => Array<{ value: unknown; path: string }>]> = [...SEGMENT_ROUTES].map((route) => [
  route,
  route === 'POST /v1/batch'
    ? (body: unknown) =>
        isObject(body) && Array.isArray(body.batch)
          ? [...(isObject(body.context) ? [{ value: body.context, path: 'context.site_id' }] : []), ...contextsOf(body.batch, 'batch')]
          : []
    : (body: unknown) => contextsOf([body], ''),
]);
