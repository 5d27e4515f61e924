import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiCompatErrors } from '../../../shared/http/api-problems';
import type { FastifyReply } from 'fastify';
import { FieldError } from '../../../shared/errors';
import { eventIdOf } from '../../application/natural-keys';
import { check, record, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto } from './compat.requests';
import { QueuedResponse, SiteStatsResponse } from './compat.responses';

const unprocessable = (reply: FastifyReply, errors: FieldError[]) => {
  void reply.status(422);
  return { detail: errors.map((e) => ({ loc: e.path.split('.'), msg: e.message, type: 'value_error' })) };
};

/** Seed 004: event ingestion and per-site stats at the root. Base URL is all a client changes. */
@ApiTags('compat: 004 events and stats')
@Controller()
export class EventStatsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('event')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record a site event; the same event twice is stored once',
    description: 'Answers after the event is committed, so a read right after the 202 sees it. Other fields are ignored. Body at most 64 KiB.',
  })
  @ApiBody({
    type: SiteEventDto,
    examples: {
      page_view: {
        summary: 'A page view',
        value: { site_id: 'test-site', event_type: 'page_view', path: '/home', user_id: 'user123', timestamp: '2025-11-14T13:30:01Z' },
      },
    },
  })
  @ApiResponse({ status: 202, type: QueuedResponse, description: 'Stored (or already stored).' })
  @ApiCompatErrors('004', 422, 401, 403, 413, 415, 429, 500, 503)
  async event(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteEventDto, body, ['site_id', 'event_type', 'path', 'user_id', 'timestamp'], 'body');
    if (!value) return unprocessable(reply, errors);
    const draft = siteEventDraft(value, (site, type, user, path, at) => eventIdOf.event(site, type, path, user, at));
    const rejected = await record(this.commands, draft);
    return rejected.length > 0 ? unprocessable(reply, rejected.map((e) => ({ ...e, path: `body.${e.path}` }))) : { status: 'queued' };
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Page views, unique users and the top 3 paths of a site, one day or all time',
    description: 'With date: that UTC day; without: all time ("date": "all-time"). A site without events answers zeros.',
  })
  @ApiQuery({ name: 'site_id', required: true, schema: { type: 'string', minLength: 1, maxLength: 128, example: 'test-site' } })
  @ApiQuery({ name: 'date', required: false, schema: { type: 'string', format: 'date', maxLength: 10, example: '2025-11-14' } })
  @ApiOkResponse({ type: SiteStatsResponse })
  @ApiCompatErrors('004', 422, 401, 403, 429, 500, 503)
  async stats(@Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date'], 'query');
    if (!value) return unprocessable(reply, errors);
    return (await siteStats(this.queries, value.site_id, value.date)).stats;
  }
}
