import { randomUUID } from 'node:crypto';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Params } from 'nestjs-pino';
import { AppConfig } from '../config';

const CLIENT_REQUEST_ID = /^[\w.:@-]{1,128}$/;

/**
 * The request id: the client's X-Request-Id when it is a sane token (so ids can be followed
 * across services), otherwise a new UUID. Given to Fastify, which stamps it on the request;
 * pino's request logger reuses it and the response returns it.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Query parameters whose value is a credential: api_key, key, access_token, password, client_secret, auth… */
const SECRET_PARAM = /^(?:.*[_-])?(?:api[_-]?key|apikey|key|token|password|passwd|pwd|secret|auth\w*|credentials?|signature|sig|session\w*|jwt|bearer)$/i;
/** A value that is one of our keys wherever it appears. */
const KEY_VALUE = /^tsk_/i;
/** Cheap pre-check of the raw query: without any of these, no parameter can need redacting. */
const SUSPECT = /key|tok|pass|pwd|secret|auth|sess|sig|cred|jwt|bearer|tsk_|%/i;

/**
 * The URL as logged: the value of every query parameter named like a credential, and of any
 * parameter holding one of our keys, becomes [REDACTED]. Keys sent in the query string are
 * refused, but would otherwise be written in full to the request log. Costs nothing for a URL
 * without a query string (the hot path); parameter names are compared decoded.
 */
export function redactQueryString(url: string): string {
  const query = url.indexOf('?');
  if (query === -1 || !SUSPECT.test(url.slice(query + 1))) return url;
  const pairs = url.slice(query + 1).split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const equals = pairs[i].indexOf('=');
    const name = decodeLoosely(equals === -1 ? pairs[i] : pairs[i].slice(0, equals));
    const value = equals === -1 ? '' : decodeLoosely(pairs[i].slice(equals + 1));
    // accessToken, apiKey: camelCase words are compared as access_token, api_key.
    if (SECRET_PARAM.test(name.trim().replace(/([a-z\d])([A-Z])/g, '$1_$2')) || KEY_VALUE.test(value.trim())) {
      pairs[i] = `${equals === -1 ? pairs[i] : pairs[i].slice(0, equals)}=[REDACTED]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, query)}?${pairs.join('&')}` : url;
}

/**
 * The URL as logged: credentials redacted (redactQueryString), and the user id of an erasure
 * (DELETE /api/users/{user_id}) too — a log line naming the user would be the very record of
 * the erasure that must not hold the id in clear.
 */
export function loggedUrl(url: string): string {
  const redacted = redactQueryString(url);
  return redacted.startsWith('/api/users/') ? redacted.replace(/^\/api\/users\/[^?]*/, '/api/users/[REDACTED]') : redacted;
}

function decodeLoosely(part: string): string {
  if (!part.includes('%') && !part.includes('+')) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part; // a malformed escape is logged as sent, but still compared
  }
}

/**
 * Headers that carry credentials, removed from any object pino logs (by path, compiled once):
 * the serializers below never log headers, this guards every other logger call.
 */
const REDACTED_PATHS = ['authorization', 'x-api-key', 'cookie', 'set-cookie', 'proxy-authorization'].flatMap((header) => [
  `req.headers["${header}"]`,
  `headers["${header}"]`,
  `*.headers["${header}"]`,
]);

/**
 * Structured JSON logs: Fastify's own pino logger writes one line per request, and
 * nestjs-pino (`useExisting`) hands that request's logger to every Nest `Logger` call made
 * while handling it — so the lines of the command a request dispatched carry its `reqId`.
 * (nestjs-pino's own pino-http middleware, through Express-style middleware emulation,
 * measured at about a third of the throughput of a cheap route; Fastify's logger is native.)
 * Only method, URL (credentials in its query string redacted) and status are logged, never
 * bodies or headers (and credential headers are redacted should any other line carry them).
 */
export function fastifyLoggerOptions(config: AppConfig) {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: loggedUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function loggingParams(config: AppConfig): Params {
  // The root logger, for lines written outside any request (start-up, cron). No middleware
  // (`forRoutes: []`): bindRequestLogger does its work natively.
  return {
    useExisting: true,
    pinoHttp: { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } },
    forRoutes: [],
  };
}

/**
 * What nestjs-pino's middleware does with `useExisting` — run the rest of the request inside
 * its AsyncLocalStorage store holding the request's logger, so that Nest `Logger` calls made
 * while handling it carry its `reqId` — as a Fastify hook instead of a middleware: a
 * middleware runs through @fastify/middie's Express emulation, which sanitises the URL and
 * copies nine request properties (parsing the query string) on every request.
 * nestjs-pino does not export its store, so its module is reached by file; the e2e logging
 * test fails if that ever stops working.
 */
export function bindRequestLogger(fastify: FastifyInstance): void {
  const { storage, Store } = require(join(dirname(require.resolve('nestjs-pino')), 'storage.js')) as {
    storage: AsyncLocalStorage<unknown>;
    Store: new (logger: unknown) => unknown;
  };
  fastify.addHook('onRequest', (request, _reply, done) => void storage.run(new Store(request.log), done));
}
