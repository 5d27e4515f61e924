import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { AppConfig } from '../../../config';
import { DomainError } from '../../../shared/errors';
import { ApiProblems } from '../../../shared/http/api-problems';
import { LiveClientDropped, LiveEventFeed } from '../../application/live-event-feed';
import { TrackedEvent } from '../../domain/tracked-event';
import { LiveEventsQueryDto } from './events.requests';
import { EventResponse } from './events.responses';
import { sseMessage, SseStream } from './sse';

/** The reconnection delay the stream asks clients for (`retry:`). */
export const LIVE_RETRY_MS = 3000;

/** LIVE_MAX_CLIENTS streams are open on this process. */
export class LiveStreamsFullError extends DomainError {
  readonly code = 'too-many-live-streams';
  readonly kind = 'unavailable';
  constructor(max: number) {
    super(`This replica already serves its ${max} live streams; retry shortly.`);
  }
}

const EXAMPLE_STREAM =
  'retry: 3000\n\n' +
  'event: event\nid: 0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10\n' +
  'data: {"id":"0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10","user_id":"321","action":"test_action","timestamp":"2025-10-23T13:07:00.000Z","received_at":"2025-10-23T13:07:00.412Z","metadata":{"page":"/hello/world"},"site_id":"site-abc-123","path":"/pricing"}\n\n' +
  ': heartbeat\n\n';

@ApiTags('events')
@Controller('api')
export class LiveEventsController {
  /** Streams open or being opened on this process (the LIVE_MAX_CLIENTS cap counts these). */
  private streams = 0;
  /** Each event's message, made once however many streams send it. */
  private readonly messages = new WeakMap<TrackedEvent, string>();

  constructor(
    private readonly feed: LiveEventFeed,
    private readonly config: AppConfig,
    private readonly bus: EventBus,
  ) {}

  @Get('events/live')
  @ApiOperation({
    summary: 'Newly recorded events, as server-sent events',
    description:
      'A text/event-stream of the events recorded from the moment the stream opens, by any replica of the service ' +
      '(fed by PostgreSQL LISTEN/NOTIFY). It starts with `retry: 3000`; each event is a message `event: event`, ' +
      '`id:` the event id, `data:` the event as GET /api/events/{id} returns it; a `: heartbeat` comment comes ' +
      'every LIVE_HEARTBEAT_MS (15 s). Nothing is replayed: after a reconnect, fetch the gap from GET /api/events. ' +
      'The stream ends when the service stops or loses its database connection, and is closed when the client ' +
      'reads too slowly (more than LIVE_MAX_BUFFER_BYTES unsent). At most LIVE_MAX_CLIENTS streams per replica: 503 beyond.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The stream (it stays open).',
    content: { 'text/event-stream': { example: EXAMPLE_STREAM } },
  })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async live(@Query() query: LiveEventsQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (this.streams >= this.config.liveMaxClients) throw new LiveStreamsFullError(this.config.liveMaxClients);
    this.streams++;
    let released = false;
    const release = () => {
      if (!released) (released = true), this.streams--;
    };
    // What reaches the subscription before the stream exists (in the same tick) is kept for it.
    let stream: SseStream | undefined;
    const early: TrackedEvent[][] = [];
    let interrupted = false;
    let unsubscribe: () => void;
    try {
      unsubscribe = await this.feed.subscribe({
        deliver: (events) => (stream ? this.send(stream, events, query) : early.push([...events])),
        interrupt: () => (stream ? stream.end() : (interrupted = true)),
      });
    } catch (error) {
      release();
      throw error;
    }
    const raw = reply.raw;
    if (raw.destroyed || request.raw.destroyed) {
      unsubscribe();
      release();
      return;
    }
    // From here on the response is written by hand: Fastify's onSend hooks (X-Request-Id,
    // serialisation) never run for it, so the headers already set on the reply (security
    // headers, rate limits, CORS) are copied and X-Request-Id added.
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    reply.hijack();
    const opened = Date.now();
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
      // The connection serves this one response: when it ends, the socket goes too.
      connection: 'close',
    });
    stream = new SseStream(raw, {
      maxBufferBytes: this.config.liveMaxBufferBytes,
      heartbeatMs: this.config.liveHeartbeatMs,
      onEnd: (why) => {
        unsubscribe();
        release();
        if (why === 'dropped') this.bus.publish(new LiveClientDropped());
        // Fastify logs no "request completed" for a response written by hand: this line is it.
        request.log.info({ durationMs: Date.now() - opened, end: why }, 'live stream ended');
      },
    });
    raw.on('close', () => stream!.closed());
    raw.on('error', () => stream!.closed());
    // HEAD (which Fastify routes here too) gets the headers only: no body ever follows.
    if (request.method === 'HEAD') return stream.end();
    stream.start(LIVE_RETRY_MS);
    for (const events of early) this.send(stream, events, query);
    if (interrupted) stream.end();
  }

  private send(stream: SseStream, events: readonly TrackedEvent[], filter: LiveEventsQueryDto): void {
    for (const event of events) {
      if (filter.site_id !== undefined && event.siteId !== filter.site_id) continue;
      if (filter.user_id !== undefined && event.userId !== filter.user_id) continue;
      if (filter.action !== undefined && event.action !== filter.action) continue;
      let message = this.messages.get(event);
      if (message === undefined) {
        message = sseMessage('event', event.id, JSON.stringify(EventResponse.from(event)));
        this.messages.set(event, message);
      }
      if (!stream.send(message)) return;
    }
  }
}
