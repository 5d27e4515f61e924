import { PayloadTooLargeException } from '@nestjs/common';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MalformedContentEncodingError } from '../../../shared/http/body-parsing';
import { PosthogBodyDecoder, PosthogFormDecoder } from './posthog-bodies';

/** Pipes `chunks` through a decoder; resolves with what came out, or the error it stopped with. */
function decode(chunks: Buffer[], mode: 'gzip' | 'sniff', limit: number): Promise<{ out: Buffer; received: number } | { error: unknown; received: number }> {
  return new Promise((resolve) => {
    const decoder = new PosthogBodyDecoder(mode, limit);
    const out: Buffer[] = [];
    decoder.on('data', (c: Buffer) => out.push(c));
    decoder.on('end', () => resolve({ out: Buffer.concat(out), received: decoder.receivedEncodedLength }));
    decoder.on('error', (error) => resolve({ error, received: decoder.receivedEncodedLength }));
    Readable.from(chunks).pipe(decoder);
  });
}

describe('PosthogBodyDecoder', () => {
  const json = Buffer.from('{"event": "e", "distinct_id": "u"}');
  const split = (b: Buffer) => Array.from(b).map((byte) => Buffer.from([byte])); // one byte per chunk

  it('passes JSON through as it came, and gunzips a body that starts with gzip’s magic bytes, however it is chunked', async () => {
    expect(await decode([json], 'sniff', 1024)).toEqual({ out: json, received: json.length });
    const zipped = gzipSync(json);
    expect(await decode(split(zipped), 'sniff', 1024)).toEqual({ out: json, received: zipped.length });
    expect(await decode([zipped], 'gzip', 1024)).toEqual({ out: json, received: zipped.length });
    expect(await decode([Buffer.from('{')], 'sniff', 1024)).toEqual({ out: Buffer.from('{'), received: 1 });
  });

  it('refuses a body said to be gzip that is not', async () => {
    expect(await decode([json], 'gzip', 1024)).toMatchObject({ error: expect.any(MalformedContentEncodingError) });
    expect(await decode([Buffer.from('{')], 'gzip', 1024)).toMatchObject({ error: expect.any(MalformedContentEncodingError) });
  });

  it('stops a gzip bomb at the limit: 413, without inflating the rest', async () => {
    // 256 MiB of zeros, about 256 KiB compressed, sent in 16 KiB chunks.
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
    const chunks = Array.from({ length: Math.ceil(bomb.length / 16384) }, (_, i) => bomb.subarray(i * 16384, (i + 1) * 16384));
    const result = await decode(chunks, 'sniff', 1024 * 1024);
    expect(result).toMatchObject({ error: expect.any(PayloadTooLargeException) });
    // It stopped reading the body long before its end: the rest was never inflated.
    expect(result.received).toBeLessThan(bomb.length / 4);
  });
});

describe('PosthogFormDecoder', () => {
  const run = (body: string, limit = 1024 * 1024) =>
    new Promise<{ out?: string; error?: unknown }>((resolve) => {
      const decoder = new PosthogFormDecoder(limit);
      const out: Buffer[] = [];
      decoder.on('data', (c: Buffer) => out.push(c));
      decoder.on('end', () => resolve({ out: Buffer.concat(out).toString() }));
      decoder.on('error', (error) => resolve({ error }));
      Readable.from([Buffer.from(body)]).pipe(decoder);
    });
  const json = '{"batch": [{"event": "é"}]}';

  it('turns data=<base64> (standard or URL-safe, or of gzip JSON) into the JSON it holds', async () => {
    const b64 = Buffer.from(json).toString('base64');
    expect(await run(`data=${encodeURIComponent(b64)}&ver=1`)).toEqual({ out: json });
    expect(await run(`data=${Buffer.from(json).toString('base64url')}`)).toEqual({ out: json });
    expect(await run(`data=${encodeURIComponent(gzipSync(json).toString('base64'))}`)).toEqual({ out: json });
  });

  it('refuses a form without data (400), and a form or its gzip past the limit (413)', async () => {
    expect(await run('other=1')).toMatchObject({ error: expect.objectContaining({ code: 'malformed-form' }) });
    expect(await run(`data=${'A'.repeat(2000)}`, 1000)).toMatchObject({ error: expect.any(PayloadTooLargeException) });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' ')).toString('base64');
    expect(await run(`data=${encodeURIComponent(bomb)}`, 1024 * 1024)).toMatchObject({ error: expect.any(PayloadTooLargeException) });
  });
});
