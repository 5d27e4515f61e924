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

/**
 * Structured JSON logs: Fastify's own pino logger writes one line per request, and
 * nestjs-pino (`useExisting`) hands that request's logger to every Nest `Logger` call made
 * while handling it — so the lines of the command a request dispatched carry its `reqId`.
 * (nestjs-pino's own pino-http middleware, through Express-style middleware emulation,
 * measured at about a third of the throughput of a cheap route; Fastify's logger is native.)
 * Only method, URL and status are logged, never headers or bodies, so keys never are.
 */
export function fastifyLoggerOptions(config: AppConfig) {
  return {
    level: config.logLevel,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function loggingParams(config: AppConfig): Params {
  // The root logger, for lines written outside any request (start-up, cron). No middleware
  // (`forRoutes: []`): bindRequestLogger does its work natively.
  return { useExisting: true, pinoHttp: { level: config.logLevel }, forRoutes: [] };
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
