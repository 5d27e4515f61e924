import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Transform, TransformCallback } from 'node:stream';
import { createGunzip, Gunzip, gunzipSync } from 'node:zlib';
import { DomainError } from '../../../shared/errors';
import { MalformedContentEncodingError } from '../../../shared/http/body-parsing';
import { POSTHOG_ROUTES } from './posthog-routes';

/** A PostHog compression this service does not read (old posthog-js' lz64). */
export class UnsupportedPosthogCompressionError extends DomainError {
  readonly code = 'unsupported-compression';
  readonly kind = 'unsupported_media_type';
  constructor(compression: string) {
    super(`compression=${compression} is not supported: send JSON, gzip JSON (compression=gzip-js or Content-Encoding: gzip), or a base64 form (data=…).`);
  }
}

/** A form body (posthog-js' base64 form) without a usable `data` field. */
export class MalformedPosthogFormError extends DomainError {
  readonly code = 'malformed-form';
  readonly kind = 'invalid';
  constructor() {
    super('The form body must hold data=<base64 of the JSON events>, as posthog-js sends it.');
  }
}

const GZIP_QUERY = new Set(['gzip-js', 'gzip']);
const KNOWN_QUERY = new Set([...GZIP_QUERY, 'base64']);
const FORM = 'application/x-www-form-urlencoded';

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
    if (compression !== '' && !KNOWN_QUERY.has(compression)) return done(new UnsupportedPosthogCompressionError(compression), payload);
    const limit = request.routeOptions.bodyLimit ?? 0;
    const type = typeof request.headers['content-type'] === 'string' ? request.headers['content-type'].split(';')[0].trim().toLowerCase() : '';
    if (type === FORM) {
      // What posthog-js sends through sendBeacon when it does not gzip (on a page's unload):
      // data=<base64 of the JSON>. Decoded here into the JSON it holds, then read as text/plain
      // JSON like the routes' other bodies (Fastify picks the parser after this hook).
      request.headers['content-type'] = 'text/plain';
      return done(null, payload.pipe(new PosthogFormDecoder(limit)));
    }
    const header = typeof request.headers['content-encoding'] === 'string' ? request.headers['content-encoding'].trim().toLowerCase() : '';
    const gzipHeader = header === 'gzip' || header === 'x-gzip';
    // Another Content-Encoding (deflate, br, or one we refuse) is the generic decoder's.
    if (header !== '' && header !== 'identity' && !gzipHeader) return done(null, payload);
    if (gzipHeader) request.headers['content-encoding'] = 'identity';
    const decoder = new PosthogBodyDecoder(gzipHeader || GZIP_QUERY.has(compression) ? 'gzip' : 'sniff', limit);
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

/**
 * posthog-js' base64 form, `data=<base64 of the JSON>` (the base64 of gzip JSON too, which it
 * never sends but is cheap to read), decoded into the JSON. Read whole, as it must be to
 * decode: the form at most `limit` bytes, the JSON too (413 past either).
 */
export class PosthogFormDecoder extends Transform {
  receivedEncodedLength = 0;
  private readonly chunks: Buffer[] = [];

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    if (this.receivedEncodedLength > this.limit) return callback(new PayloadTooLargeException());
    this.chunks.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const data = new URLSearchParams(Buffer.concat(this.chunks).toString('latin1')).get('data');
    if (data === null || data.trim() === '') return callback(new MalformedPosthogFormError());
    let decoded = Buffer.from(data.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === 0) return callback(new MalformedPosthogFormError());
    if (decoded[0] === 0x1f && decoded[1] === 0x8b) {
      try {
        decoded = gunzipSync(decoded, { maxOutputLength: this.limit });
      } catch (error) {
        return callback((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? new PayloadTooLargeException() : new MalformedContentEncodingError('gzip'));
      }
    }
    callback(null, decoded);
  }
}
