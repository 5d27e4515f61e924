/**
 * A parser of `text/event-stream` (the WHATWG server-sent events format), fed chunks of text
 * as they arrive. The Live page reads the stream with fetch rather than EventSource, because
 * EventSource cannot send the `Authorization` header.
 */
export interface ServerSentEvent {
  /** `event:`, "message" when absent. */
  event: string;
  data: string;
  id?: string;
}

export class EventStreamParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** The last `retry:` the server sent, in milliseconds. */
  retry: number | undefined;
  /** Comment lines (`: heartbeat`) seen, so a reader can tell the connection is alive. */
  comments = 0;

  /** Feeds text; returns the events it completed. */
  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const event: ServerSentEvent = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }
}

/**
 * Events per minute over the last `minutes` minutes, for the Live page's counter: counts are
 * keyed by the minute an event arrived (its receipt here, not its own timestamp, which a client
 * may have set hours earlier).
 */
export class MinuteCounter {
  private readonly counts = new Map<number, number>();

  constructor(private readonly minutes = 30) {}

  add(at: number, count = 1): void {
    const minute = Math.floor(at / 60_000);
    this.counts.set(minute, (this.counts.get(minute) ?? 0) + count);
    for (const key of this.counts.keys()) if (key <= minute - this.minutes) this.counts.delete(key);
  }

  /** Oldest first, `minutes` entries ending with the minute of `now` (empty minutes are 0). */
  series(now: number): Array<{ minute: number; count: number }> {
    const last = Math.floor(now / 60_000);
    return Array.from({ length: this.minutes }, (_, i) => {
      const minute = last - this.minutes + 1 + i;
      return { minute: minute * 60_000, count: this.counts.get(minute) ?? 0 };
    });
  }
}
