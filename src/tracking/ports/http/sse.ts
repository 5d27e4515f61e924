/**
 * Server-sent events (the WHATWG HTML "event stream" format), written by hand: three kinds of
 * lines, not worth a dependency.
 */

/** One message: `event:`, `id:` and one `data:` line per line of data, then a blank line. */
export function sseMessage(event: string, id: string, data: string): string {
  if (/[\r\n]/.test(event) || /[\r\n\0]/.test(id)) throw new Error('an SSE event name or id cannot hold a line break');
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `event: ${event}\nid: ${id}\n${lines.join('')}\n`;
}

/** A comment line: ignored by clients, it keeps proxies and load balancers from timing out. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** How long a client should wait before reconnecting after the stream ends. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

/** What an SseStream writes to: a Node ServerResponse (or a test double). */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  readonly writableLength: number;
}

/** Why a stream ended: the client was too slow, the server ended it, or the client went away. */
export type SseEnd = 'dropped' | 'ended' | 'closed';

/**
 * One open stream. Nothing is buffered without bound: once more than `maxBufferBytes` wait to
 * be sent (the client reads slower than events come), the stream is closed at once instead.
 */
export class SseStream {
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly sink: SseSink,
    private readonly options: { maxBufferBytes: number; heartbeatMs: number; onEnd: (why: SseEnd) => void },
  ) {}

  get open(): boolean {
    return !this.ended;
  }

  start(retryMs: number): void {
    this.send(sseRetry(retryMs));
    this.timer = setInterval(() => this.send(SSE_HEARTBEAT), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Writes a chunk; false when the stream is (or has just been) closed. */
  send(chunk: string): boolean {
    if (this.ended) return false;
    this.sink.write(chunk);
    if (this.sink.writableLength > this.options.maxBufferBytes) {
      this.finish('dropped');
      this.sink.destroy();
      return false;
    }
    return true;
  }

  /**
   * Ends the stream after what is already written (shutdown, feed interrupted); a client that
   * has not taken it all within `graceMs` is cut off, so that a shutdown never waits on it.
   */
  end(graceMs = 2000): void {
    if (this.ended) return;
    this.finish('ended');
    this.sink.end();
    setTimeout(() => this.sink.destroy(), graceMs).unref();
  }

  /** The client went away. */
  closed(): void {
    this.finish('closed');
  }

  private finish(why: SseEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.options.onEnd(why);
  }
}
