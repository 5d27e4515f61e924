import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config';
import { ExportColumn, exportFormatOf, ExportGate, fileNameOf, rangeFileName, sendExport } from '../../../shared/http/export-stream';
import { ExportEventsQuery } from '../../application/export-events';
import { TrackedEvent } from '../../domain/tracked-event';
import { prefixErrors, ValidationFailedError } from '../../../shared/errors';
import { ApiProblems } from '../../../shared/http/api-problems';
import { BODY_LIMIT_KEY } from '../../../shared/http/body-limit';
import { validateDto } from '../../../shared/http/validate';
import { PageQueryDto } from '../../../shared/http/page-query.requests';
import { parseInstant } from '../../../shared/time';
import { isUuid } from '../../../shared/uuid';
import { GetEventQuery } from '../../application/get-event';
import { ListEventsQuery } from '../../application/list-events';
import { RecordEventsCommand } from '../../application/record-events';
import { ValidateEventQuery } from '../../application/validate-event';
import { EventsRecorded } from '../../application/events-recorded.event';
import { EventDraft } from '../../domain/tracked-event';
import { ExportEventsQueryDto, ListEventsQueryDto, RecordBatchDto, RecordEventDto } from './events.requests';
import { BatchItemResponse, BatchResponse, EventPageResponse, EventRecordedResponse, EventResponse } from './events.responses';

/** The documented example event; the examples of the later routes read what it creates. */
const EVENT_EXAMPLE = { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10', user_id: 321, action: 'test_action', timestamp: '2025-10-23T13:07:00Z', metadata: { page: '/hello/world' }, site_id: 'site-abc-123', path: '/pricing' };

export const SINGLE_EVENT_BODY_LIMIT = 64 * 1024;
export const BATCH_BODY_LIMIT = 5 * 1024 * 1024;

/** Maps a validated DTO to the domain draft; a batch-level sent_at fills in a missing one. */
export function toDraft(dto: RecordEventDto, batchSentAt?: string): EventDraft {
  const sentAt = dto.sent_at ?? batchSentAt;
  return {
    eventId: dto.event_id,
    userId: typeof dto.user_id === 'number' ? String(dto.user_id) : dto.user_id,
    action: dto.action,
    timestamp: dto.timestamp ? parseInstant(dto.timestamp)! : undefined,
    sentAt: sentAt ? parseInstant(sentAt)! : undefined,
    metadata: dto.metadata,
    siteId: dto.site_id,
    path: dto.path,
  };
}

/** The CSV columns of an event export: the fields of GET /api/events/{id}, metadata as JSON text. */
const EVENT_COLUMNS: ExportColumn<TrackedEvent>[] = [
  { header: 'id', cell: (e) => e.id },
  { header: 'user_id', cell: (e) => e.userId },
  { header: 'action', cell: (e) => e.action },
  { header: 'timestamp', cell: (e) => e.occurredAt.toISOString() },
  { header: 'received_at', cell: (e) => e.receivedAt.toISOString() },
  { header: 'site_id', cell: (e) => e.siteId },
  { header: 'path', cell: (e) => e.path },
  { header: 'metadata', cell: (e) => JSON.stringify(e.metadata) },
];
const EVENTS_CSV_EXAMPLE =
  'id,user_id,action,timestamp,received_at,site_id,path,metadata\r\n' +
  '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10,321,test_action,2025-10-23T13:07:00.000Z,2025-10-23T13:07:00.412Z,site-abc-123,/pricing,"{""page"":""/hello/world""}"\r\n';
const EVENTS_NDJSON_EXAMPLE =
  '{"id":"0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10","user_id":"321","action":"test_action","timestamp":"2025-10-23T13:07:00.000Z","received_at":"2025-10-23T13:07:00.412Z","metadata":{"page":"/hello/world"},"site_id":"site-abc-123","path":"/pricing"}\n';

@ApiTags('events')
@Controller('api')
export class EventsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    private readonly exportGate: ExportGate,
    private readonly config: AppConfig,
  ) {}

  @Post('event')
  @RouteConfig({ [BODY_LIMIT_KEY]: SINGLE_EVENT_BODY_LIMIT })
  @ApiOperation({
    summary: 'Record one event',
    description: 'Answers only after the event is durably committed. Body at most 64 KiB.',
  })
  @ApiBody({
    type: RecordEventDto,
    examples: { event: { summary: 'An event with its idempotency key', value: EVENT_EXAMPLE } },
  })
  @ApiCreatedResponse({
    type: EventRecordedResponse,
    description: 'Stored.',
    headers: { Location: { description: '/api/events/{id}', required: true, schema: { type: 'string', maxLength: 64 } } },
  })
  @ApiOkResponse({ type: EventRecordedResponse, description: 'An event with this event_id was already stored; nothing changed.' })
  @ApiProblems(400, 401, 403, 413, 415, 429, 500, 503)
  async record(
    @Body() dto: RecordEventDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EventRecordedResponse> {
    const [outcome] = await this.commands.execute(new RecordEventsCommand([toDraft(dto)]));
    if (outcome.status === 'rejected') throw new ValidationFailedError(outcome.errors);
    if (outcome.status === 'created') {
      void reply.status(201).header('Location', `/api/events/${outcome.id}`);
      return { id: outcome.id, status: outcome.status };
    }
    void reply.status(200);
    return { id: outcome.id, status: outcome.status, content_matches: outcome.contentMatches };
  }

  @Post('event/validate')
  @HttpCode(200)
  @RouteConfig({ [BODY_LIMIT_KEY]: SINGLE_EVENT_BODY_LIMIT })
  @ApiOperation({
    summary: 'Check an event without storing it',
    description: 'Applies every rule of POST /api/event (including the future-time guard) and stores nothing.',
  })
  @ApiBody({ type: RecordEventDto, examples: { event: { summary: 'The event of POST /api/event', value: EVENT_EXAMPLE } } })
  @ApiOkResponse({ schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['valid'] } } } })
  @ApiProblems(400, 401, 403, 413, 415, 429, 500, 503)
  async validate(@Body() dto: RecordEventDto): Promise<{ status: 'valid' }> {
    await this.queries.execute(new ValidateEventQuery(toDraft(dto)));
    return { status: 'valid' };
  }

  @Post('events/batch')
  @HttpCode(200)
  @RouteConfig({ [BODY_LIMIT_KEY]: BATCH_BODY_LIMIT })
  @ApiOperation({
    summary: 'Record up to 1000 events',
    description:
      'One result per input event, in input order. Valid events are stored even when others are rejected. ' +
      'A body that is not an object with 1–1000 events is a 400 and stores nothing. Body at most 5 MiB.',
  })
  @ApiBody({
    type: RecordBatchDto,
    examples: {
      batch: {
        summary: 'The event above again (a duplicate) and a new one',
        value: {
          events: [
            EVENT_EXAMPLE,
            { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a11', user_id: 321, action: 'login', timestamp: '2025-10-23T14:40:00Z' },
          ],
        },
      },
    },
  })
  @ApiOkResponse({ type: BatchResponse })
  @ApiProblems(400, 401, 403, 413, 415, 429, 500, 503)
  async recordBatch(@Body() batch: RecordBatchDto): Promise<BatchResponse> {
    const results: BatchItemResponse[] = [];
    const drafts: EventDraft[] = [];
    const indexOfDraft: number[] = [];
    batch.events.forEach((item, index) => {
      const checked = validateDto(RecordEventDto, item, `events[${index}]`);
      if (checked.value === undefined) {
        results[index] = { index, status: 'rejected', errors: checked.errors };
      } else {
        drafts.push(toDraft(checked.value, batch.sent_at));
        indexOfDraft.push(index);
      }
    });
    const shapeRejected = batch.events.length - drafts.length;
    if (shapeRejected > 0) this.events.publish(new EventsRecorded(0, 0, shapeRejected));
    const outcomes = drafts.length > 0 ? await this.commands.execute(new RecordEventsCommand(drafts)) : [];
    outcomes.forEach((outcome, k) => {
      const index = indexOfDraft[k];
      results[index] =
        outcome.status === 'rejected'
          ? { index, status: 'rejected', errors: prefixErrors(`events[${index}]`, outcome.errors) }
          : outcome.status === 'created'
            ? { index, status: outcome.status, id: outcome.id }
            : { index, status: outcome.status, id: outcome.id, content_matches: outcome.contentMatches };
    });
    const count = (status: BatchItemResponse['status']) => results.filter((r) => r.status === status).length;
    return { created: count('created'), duplicates: count('duplicate'), rejected: count('rejected'), results };
  }

  @Get('events/export')
  @ApiOperation({
    summary: 'Export events as CSV or NDJSON',
    description:
      'Every event matching the filters of GET /api/events (no page size, no cap), oldest first unless order=desc, ' +
      'streamed from a database cursor as the client reads (constant memory on the service, one consistent snapshot). ' +
      'CSV: RFC 4180, CRLF, a header row (id, user_id, action, timestamp, received_at, site_id, path, metadata as JSON); ' +
      "a text cell starting with = + - @ tab or CR gets a leading ' so that spreadsheets do not run it as a formula. " +
      'A complete file ends with the end of the response: a failure after the first byte cuts the connection ' +
      '(no final chunk; curl exits with 18), so a partial file never looks complete. At most EXPORT_MAX_CONCURRENT ' +
      'exports stream per replica (503 beyond); a client that reads nothing for EXPORT_STALL_TIMEOUT_MS loses its export.',
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'The file (Content-Disposition: attachment).',
    headers: { 'Content-Disposition': { description: 'attachment; filename="events….csv"', schema: { type: 'string', maxLength: 200 } } },
    content: {
      'text/csv': { schema: { type: 'string', maxLength: 1_000_000_000_000 }, example: EVENTS_CSV_EXAMPLE },
      'application/x-ndjson': { schema: { type: 'string', maxLength: 1_000_000_000_000 }, example: EVENTS_NDJSON_EXAMPLE },
    },
  })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async export(@Query() query: ExportEventsQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const format = exportFormatOf(query.format, request.headers.accept);
    const from = query.from ? parseInstant(query.from)! : undefined;
    const till = query.till ? parseInstant(query.till)! : undefined;
    const rows = await this.queries.execute(
      new ExportEventsQuery({ userId: query.user_id, action: query.action, siteId: query.site_id, from, till }, query.order ?? 'asc'),
    );
    await sendExport(reply, rows, {
      format,
      fileName: fileNameOf('events', rangeFileName(from, till)),
      columns: EVENT_COLUMNS,
      json: EventResponse.from,
      gate: this.exportGate,
      stallTimeoutMs: this.config.exportStallTimeoutMs,
      headOnly: request.method === 'HEAD',
    });
  }

  @Get('events/:id')
  @ApiOperation({ summary: 'One event', description: 'The event as stored; 404 when no event has this id.' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid', maxLength: 36, example: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10' } })
  @ApiOkResponse({ type: EventResponse })
  @ApiProblems(400, 401, 403, 404, 429, 500, 503)
  async get(@Param('id') id: string): Promise<EventResponse> {
    if (!isUuid(id)) throw new ValidationFailedError([{ path: 'id', message: 'must be a UUID' }]);
    return EventResponse.from(await this.queries.execute(new GetEventQuery(id)));
  }

  @Get('events')
  @ApiOperation({
    summary: 'List events',
    description: 'Ordered by timestamp, then id; keyset pagination that never skips or repeats a row.',
  })
  @ApiOkResponse({ type: EventPageResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async list(@Query() query: ListEventsQueryDto): Promise<EventPageResponse> {
    const page = await this.queries.execute(
      new ListEventsQuery(
        {
          userId: query.user_id,
          action: query.action,
          siteId: query.site_id,
          from: query.from ? parseInstant(query.from)! : undefined,
          till: query.till ? parseInstant(query.till)! : undefined,
        },
        query.order ?? 'desc',
        PageQueryDto.limitOf(query),
        query.cursor,
      ),
    );
    return { data: page.data.map(EventResponse.from), next_cursor: page.nextCursor };
  }
}
