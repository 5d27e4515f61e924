import { PayloadTooLargeException } from '@nestjs/common';
import { Readable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { decodeBounded, MalformedContentEncodingError } from './body-parsing';

/** Reads a decoded stream to its end or its error, counting what the source gave up. */
async function drain(compressed: Buffer, encoding: string, limit: number) {
  let consumed = 0;
  const source = new Readable({
    read() {
      if (consumed >= compressed.length) return void this.push(null);
      const chunk = compressed.subarray(consumed, consumed + 4096);
      consumed += chunk.length;
      this.push(chunk);
    },
  });
  const out: Buffer[] = [];
  try {
    for await (const chunk of decodeBounded(source, encoding, limit)) out.push(chunk as Buffer);
    return { body: Buffer.concat(out), consumed };
  } catch (error) {
    return { error, consumed };
  }
}

describe('decodeBounded (compressed request bodies)', () => {
  it('stops a gzip bomb at the limit without reading the rest of it', async () => {
    // 1 GiB of zeros in ~1 MB: sixteen gzip members of 64 MiB each (a gzip stream may be several).
    const bomb = Buffer.concat(Array(16).fill(gzipSync(Buffer.alloc(64 * 1024 * 1024))));
    const result = await drain(bomb, 'gzip', 64 * 1024);
    expect(result.error).toBeInstanceOf(PayloadTooLargeException);
    // What the streams buffer ahead was read (tens of KB), not the megabyte of the bomb.
    expect(result.consumed).toBeLessThanOrEqual(bomb.length / 8);
  });

  it('decodes a body within the limit, and refuses bytes that are not what the encoding says', async () => {
    const json = Buffer.from(JSON.stringify({ user_id: 'u', action: 'x'.repeat(50_000) }));
    expect((await drain(gzipSync(json), 'gzip', 64 * 1024)).body).toEqual(json);
    expect((await drain(brotliCompressSync(json), 'br', 64 * 1024)).body).toEqual(json);
    expect((await drain(json, 'gzip', 64 * 1024)).error).toBeInstanceOf(MalformedContentEncodingError);
    expect((await drain(gzipSync(json), 'gzip', json.length - 1)).error).toBeInstanceOf(PayloadTooLargeException);
  });
});
