import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FieldError } from '../../../shared/errors';
import { eventIdOf } from '../../application/natural-keys';
import { check, record, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto } from './compat.requests';

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
  @ApiOperation({ summary: 'Record a site event; the same event twice is stored once' })
  @ApiResponse({ status: 202, schema: { example: { status: 'queued' } } })
  @ApiResponse({ status: 422, description: 'FastAPI-style {"detail": [{"loc", "msg", "type"}]}' })
  async event(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteEventDto, body, ['site_id', 'event_type', 'path', 'user_id', 'timestamp'], 'body');
    if (!value) return unprocessable(reply, errors);
    const draft = siteEventDraft(value, (site, type, user, path, at) => eventIdOf.event(site, type, path, user, at));
    const rejected = await record(this.commands, draft);
    return rejected.length > 0 ? unprocessable(reply, rejected.map((e) => ({ ...e, path: `body.${e.path}` }))) : { status: 'queued' };
  }

  @Get('stats')
  @ApiOperation({ summary: 'Page views, unique users and the top 3 paths of a site, one day or all time' })
  @ApiResponse({ status: 200, schema: { example: { site_id: 'test-site', date: '2025-11-14', total_views: 42, unique_users: 15, top_paths: [{ path: '/home', views: 25 }] } } })
  async stats(@Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date'], 'query');
    if (!value) return unprocessable(reply, errors);
    return (await siteStats(this.queries, value.site_id, value.date)).stats;
  }
}
