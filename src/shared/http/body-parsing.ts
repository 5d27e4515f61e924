import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { DomainError } from '../errors';
import { parseStrictJson } from './strict-json';

/** A Content-Encoding we cannot decode: 415, never a body read as if it were plain. */
export class UnsupportedContentEncodingError extends DomainError {
  readonly code = 'unsupported-content-encoding';
  readonly kind = 'unsupported_media_type';
  constructor(encoding: string) {
    super(`Content-Encoding "${encoding}" is not supported; send the body as is, or as gzip, deflate or br.`);
  }
}

/** A compressed body that does not decompress. */
export class MalformedContentEncodingError extends DomainError {
  readonly code = 'malformed-content-encoding';
  readonly kind = 'invalid';
  constructor(encoding: string) {
    super(`The body is not valid ${encoding} data, as its Content-Encoding says it is.`);
  }
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** A text/plain body on a route that takes JSON only. */
export class TextBodyNotAcceptedError extends DomainError {
  readonly code = 'unsupported-media-type';
  readonly kind = 'unsupported_media_type';
  constructor() {
    super('Send the body as JSON with Content-Type: application/json (text/plain is accepted only by the routes that record events).');
  }
}

/**
 * JSON bodies only (any other media type is a 415), parsed strictly (see parseStrictJson),
 * decompressed first when the client says `Content-Encoding: gzip`, `deflate` or `br` (SDKs
 * compress batches). The route's body limit applies to the decompressed size too, so a small
 * compressed bomb is a 413, not a full memory.
 */
export function useStrictJsonBodies(fastify: FastifyInstance, options: { textPlainRoutes?: ReadonlySet<string> } = {}): void {
  fastify.removeAllContentTypeParsers();
  const json = (body: string, done: (error: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseStrictJson(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => json(body as string, done));
  // What navigator.sendBeacon and Segment's browser library send: JSON labelled text/plain (a
  // type that needs no CORS preflight). Read as JSON on the routes that record events
  // (`METHOD /url` in textPlainRoutes); every other route still answers 415.
  const textRoutes = options.textPlainRoutes ?? new Set<string>();
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) =>
    textRoutes.has(`${request.method} ${request.routeOptions.url}`) ? json(body as string, done) : done(new TextBodyNotAcceptedError(), undefined),
  );
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const header = request.headers['content-encoding'];
    if (header === undefined) return done(null, payload);
    const encoding = header.trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return done(null, payload);
    const decoder = DECODERS[encoding];
    if (!decoder) return done(new UnsupportedContentEncodingError(header), payload);
    done(null, decodeBounded(payload, encoding, request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY));
  });
}

/**
 * The decoded body of a compressed request, at most `limit` bytes: past it the decoding stops
 * at once with a 413 (the compressed input left unread), so a gzip bomb costs a few
 * milliseconds, not the CPU of inflating all of it. zlib's own errors name internals; the
 * client gets a clear 400 instead. `receivedEncodedLength` is what Fastify checks against
 * Content-Length.
 */
export function decodeBounded(payload: Readable, encoding: string, limit: number): Readable & { receivedEncodedLength: number } {
  const inflate = DECODERS[encoding]();
  // Counted in the pipe (a 'data' listener would keep the input flowing after the stop).
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      decoded.receivedEncodedLength += chunk.length;
      callback(null, chunk);
    },
  });
  const decoded = new BoundedOutput(limit, () => {
    payload.unpipe(counted);
    counted.unpipe(inflate);
    inflate.destroy();
  });
  inflate.on('error', () => {
    if (!decoded.destroyed) decoded.destroy(new MalformedContentEncodingError(encoding)); // not after the 413
  });
  payload.pipe(counted).pipe(inflate).pipe(decoded);
  return decoded;
}

class BoundedOutput extends Transform {
  receivedEncodedLength = 0;
  private produced = 0;

  constructor(
    private readonly limit: number,
    private readonly stopInput: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    if (this.produced > this.limit) {
      this.destroy(new PayloadTooLargeException(`The decoded body is larger than this route accepts (${this.limit} bytes).`));
      this.stopInput();
      return callback();
    }
    callback(null, chunk);
  }
}
