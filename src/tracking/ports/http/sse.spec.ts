import { SSE_HEARTBEAT, sseMessage, sseRetry, SseSink, SseStream } from './sse';

class Sink implements SseSink {
  written = '';
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(chunk: string): boolean {
    this.written += chunk;
    this.writableLength += Buffer.byteLength(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

describe('server-sent events formatting', () => {
  it('writes a message as event, id and data lines closed by a blank line', () => {
    expect(sseMessage('event', 'abc', '{"a":1}')).toBe('event: event\nid: abc\ndata: {"a":1}\n\n');
  });

  it('splits data holding line breaks into one data line per line, so no line ends a message early', () => {
    expect(sseMessage('event', '1', 'one\ntwo\r\nthree\rfour')).toBe('event: event\nid: 1\ndata: one\ndata: two\ndata: three\ndata: four\n\n');
    // JSON.stringify never emits a raw line break: event data stays on one line.
    expect(sseMessage('event', '1', JSON.stringify({ text: 'a\nb' })).split('\n').filter((l) => l.startsWith('data:'))).toHaveLength(1);
  });

  it('refuses an id or event name that would break the framing', () => {
    expect(() => sseMessage('event', 'a\nb', 'x')).toThrow();
    expect(() => sseMessage('ev\nent', 'a', 'x')).toThrow();
  });

  it('formats the heartbeat as a comment and the retry hint in milliseconds', () => {
    expect(SSE_HEARTBEAT).toBe(': heartbeat\n\n');
    expect(sseRetry(3000)).toBe('retry: 3000\n\n');
  });
});

describe('SseStream', () => {
  const make = (sink: Sink, maxBufferBytes = 100) => {
    const calls: string[] = [];
    const stream = new SseStream(sink, { maxBufferBytes, heartbeatMs: 20, onEnd: (why) => calls.push(why) });
    return { stream, calls };
  };

  it('starts with the retry hint, then sends heartbeats until it ends', async () => {
    const sink = new Sink();
    const { stream, calls } = make(sink, 1_000_000);
    stream.start(3000);
    expect(sink.written).toBe('retry: 3000\n\n');
    await new Promise((r) => setTimeout(r, 90));
    expect(sink.written.split(SSE_HEARTBEAT).length - 1).toBeGreaterThanOrEqual(2);
    stream.end(10);
    const length = sink.written.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(sink.written.length).toBe(length);
    expect(sink).toMatchObject({ ended: true, destroyed: true });
    expect(calls).toEqual(['ended']);
  });

  it('closes the stream, once, when more than maxBufferBytes wait to be sent', () => {
    const sink = new Sink();
    const { stream, calls } = make(sink, 100);
    expect(stream.send('x'.repeat(60))).toBe(true);
    sink.writableLength = 0; // the client read it
    expect(stream.send('x'.repeat(60))).toBe(true);
    expect(stream.send('x'.repeat(60))).toBe(false); // 120 unsent: over the bound
    expect(sink.destroyed).toBe(true);
    expect(stream.open).toBe(false);
    expect(stream.send('more')).toBe(false);
    expect(sink.written).toBe('x'.repeat(180));
    expect(calls).toEqual(['dropped']);
  });

  it('ends once when the client goes away, sending nothing more', () => {
    const sink = new Sink();
    const { stream, calls } = make(sink);
    stream.closed();
    stream.closed();
    stream.end();
    expect(stream.send('x')).toBe(false);
    expect(sink.written).toBe('');
    expect(calls).toEqual(['closed']);
  });
});
