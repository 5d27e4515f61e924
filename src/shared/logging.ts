import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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
 * Structured JSON logs (pino via nestjs-pino). Every request gets an id — the client's
 * X-Request-Id when it is a sane token, otherwise a new UUID — returned in the response and
 * attached to every log line written while handling it, including the command it dispatched.
 * Credentials never reach a log line.
 */
export function loggingParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      // Fastify has already stamped the id (see requestIdOf); this only covers other callers.
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? requestIdOf(req),
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        // Method, route and id only: no headers (they carry API keys), no bodies.
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
  };
}
