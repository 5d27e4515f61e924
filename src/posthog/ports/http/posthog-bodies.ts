import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Transform, TransformCallback } from 'node:stream';
import { createGunzip, Gunzip } from 'node:zlib';
import { DomainError } from '../../../shared/errors';
import { MalformedContentEncodingError } from '../../../shared/http/body-parsing';
import { POSTHOG_ROUTES } from './posthog-routes';

/** A PostHog compression this service does not read (posthog-js' base64 and lz64 forms). */
export class UnsupportedPosthogCompressionError extends DomainError {
  readonly code = 'unsupported-compression';
  readonly kind = 'unsupported_media_type';
  constructor(compression: string) {
    super(`compression=${compression} is not supported: send JSON, or gzip JSON (compression=gzip-js or Content-Encoding: gzip).`);
  }
}

const GZIP_QUERY = new Set(['gzip-js', 'gzip']);

/**
 * How PostHog's SDKs compress, on the PostHog routes only: posthog-node sends
 * `Content-Encoding: gzip`; posthog-js gzips its JSON as text/plain with no header at all
 * (once with `?compression=gzip-js`, now without), so a body is gzip when the header or the
 * query says so, or when it starts with gzip's magic bytes (1f 8b: never the start of JSON).
 * Decompressed here with a bound: past the route's body limit the inflation stops at once and
 * the answer is 413, so a small gzip bomb costs neither memory nor the CPU of inflating it all
 * (Fastify's own check would drop the bytes but let zlib run to the end). What leaves this hook
 * is plain JSON marked `identity`, which the generic decoder (body-parsing.ts) passes through.
 * Must be registered before useStrictJsonBodies, whose hook runs after this one.
 */
export function usePosthogBodies(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (!POSTHOG_ROUTES.has(`${request.method} ${request.routeOptions.url}`)) return done(null, payload);
    const query = request.query as Record<string, unknown> | undefined;
    const compression = typeof query?.compression === 'string' ? query.compression.toLowerCase() : '';
    if (compression !== '' && !GZIP_QUERY.has(compression)) return done(new UnsupportedPosthogCompressionError(compression), payload);
    const header = typeof request.headers['content-encoding'] === 'string' ? request.headers['content-encoding'].trim().toLowerCase() : '';
    const gzipHeader = header === 'gzip' || header === 'x-gzip';
    // Another Content-Encoding (deflate, br, or one we refuse) is the generic decoder's.
    if (header !== '' && header !== 'identity' && !gzipHeader) return done(null, payload);
    if (gzipHeader) request.headers['content-encoding'] = 'identity';
    const decoder = new PosthogBodyDecoder(gzipHeader || GZIP_QUERY.has(compression) ? 'gzip' : 'sniff', request.routeOptions.bodyLimit ?? 0);
    done(null, payload.pipe(decoder));
  });
}

/**
 * A body as it came (`sniff`: unless it starts with gzip's magic bytes) or gunzipped, never
 * more than `limit` bytes of output. `receivedEncodedLength` is what Fastify checks against
 * Content-Length and the limit.
 */
export class PosthogBodyDecoder extends Transform {
  receivedEncodedLength = 0;
  private head: Buffer | null = Buffer.alloc(0);
  private gunzip: Gunzip | null = null;
  private produced = 0;

  constructor(
    private readonly mode: 'gzip' | 'sniff',
    private readonly limit: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    if (this.head !== null) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 2) return callback();
      chunk = this.head;
      this.head = null;
      if (this.mode === 'gzip' || (chunk[0] === 0x1f && chunk[1] === 0x8b)) this.startGunzip();
    }
    if (!this.gunzip) {
      this.push(chunk);
      return callback();
    }
    this.gunzip.write(chunk, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    if (this.head !== null) {
      // Fewer than two bytes in all: not gzip (and too short to be).
      if (this.mode === 'gzip' && this.head.length > 0) return callback(new MalformedContentEncodingError('gzip'));
      this.push(this.head);
      return callback();
    }
    if (!this.gunzip) return callback();
    this.gunzip.once('end', () => callback());
    this.gunzip.end();
  }

  private startGunzip(): void {
    const gunzip = createGunzip();
    this.gunzip = gunzip;
    gunzip.on('data', (data: Buffer) => {
      if (this.destroyed) return;
      this.produced += data.length;
      if (this.produced > this.limit) {
        gunzip.destroy();
        this.destroy(new PayloadTooLargeException());
        return;
      }
      this.push(data);
    });
    gunzip.on('error', () => this.destroy(new MalformedContentEncodingError('gzip')));
  }
}
