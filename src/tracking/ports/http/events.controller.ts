import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
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
import { ListEventsQueryDto, RecordBatchDto, RecordEventDto } from './events.requests';
import { BatchItemResponse, BatchResponse, EventPageResponse, EventRecordedResponse, EventResponse } from './events.responses';

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

@ApiTags('events')
@Controller('api')
export class EventsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
  ) {}

  @Post('event')
  @RouteConfig({ [BODY_LIMIT_KEY]: SINGLE_EVENT_BODY_LIMIT })
  @ApiOperation({
    summary: 'Record one event',
    description: 'Answers only after the event is durably committed. Body at most 64 KiB.',
  })
  @ApiCreatedResponse({
    type: EventRecordedResponse,
    description: 'Stored.',
    headers: { Location: { description: '/api/events/{id}', schema: { type: 'string' } } },
  })
  @ApiOkResponse({ type: EventRecordedResponse, description: 'An event with this event_id was already stored; nothing changed.' })
  @ApiProblems(400, 401, 403, 429, 413, 415, 503)
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
  @ApiOkResponse({ schema: { example: { status: 'valid' } } })
  @ApiProblems(400, 401, 403, 429, 413, 415)
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
  @ApiBody({ type: RecordBatchDto })
  @ApiOkResponse({ type: BatchResponse })
  @ApiProblems(400, 401, 403, 429, 413, 415, 503)
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

  @Get('events/:id')
  @ApiOperation({ summary: 'One event' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: EventResponse })
  @ApiProblems(400, 401, 403, 429, 404, 503)
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
  @ApiProblems(400, 401, 403, 429, 503)
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
