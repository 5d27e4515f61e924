import { get, IncomingHttpHeaders, IncomingMessage, ClientRequest } from 'node:http';
import type { Response, Test } from 'supertest';

export interface SseMessage {
  event?: string;
  id?: string;
  data: string;
}

/**
 * A minimal server-sent events client for tests (what a browser's fetch-streaming reader
 * does): keeps every message, comment and `retry:` it receives, in order.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  retry?: number;
  /** Everything received, as it came. */
  raw = '';
  /** Resolves when the server ends the stream or the connection closes. */
  readonly ended: Promise<void>;
  private buffer = '';
  private settleEnded!: () => void;

  private constructor(
    private readonly request: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    this.ended = new Promise((resolve) => (this.settleEnded = resolve));
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('end', () => this.settleEnded());
    response.on('close', () => this.settleEnded());
    response.on('error', () => this.settleEnded());
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** Opens a stream; resolves once the response head has arrived (and, for a 200, its first message). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await new Promise<SseClient>((resolve, reject) => {
      const request = get(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (response) =>
        resolve(new SseClient(request, response)),
      );
      request.on('error', reject);
    });
    if (client.status === 200) await client.until(() => client.retry !== undefined, 5000, 'the retry hint');
    else await client.ended;
    return client;
  }

  /** The events' data, parsed. */
  events<T = Record<string, unknown>>(): T[] {
    return this.messages.filter((m) => m.event === 'event').map((m) => JSON.parse(m.data) as T);
  }

  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received:\n${this.raw.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.request.destroy();
  }

  private receive(chunk: string): void {
    this.raw += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data: string[] = [];
      const message: Partial<SseMessage> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'event') message.event = value;
        else if (field === 'id') message.id = value;
        else if (field === 'retry') this.retry = Number(value);
      }
      if (data.length > 0) this.messages.push({ ...message, data: data.join('\n') });
    }
  }
}

/**
 * Sends a supertest request to a route whose success is an endless event stream: reads the
 * body up to the end of its first message (an error's whole body), then hangs up. The text
 * read is the response's `text` and `body`.
 */
export async function untilFirstMessage(request: Test): Promise<Response> {
  const response = await request.buffer(true).parse((stream, done) => {
    let text = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done(null, text);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (/^text\/event-stream/.test(String(stream.headers['content-type'])) && text.includes('\n\n')) {
        finish();
        (stream as unknown as { destroy(): void }).destroy();
      }
    });
    stream.on('end', finish);
  });
  return Object.assign(response, { text: response.body as string });
}
