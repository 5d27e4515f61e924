import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { eventIdOf } from '../../application/natural-keys';
import { fastApiErrors } from './compat-errors';
import { check, record, SITE_EVENT_FIELDS, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto } from './compat.requests';

/** Seed 004: event ingestion and per-site stats at the root. Base URL is all a client changes. */
@ApiTags('compat: 004 events and stats')
@Controller()
@ShapeErrors(fastApiErrors)
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
  async event(@Body() body: unknown) {
    const value = check(SiteEventDto, body, SITE_EVENT_FIELDS);
    await record(this.commands, siteEventDraft(value, (site, type, user, path, at) => eventIdOf.event(site, type, path, user, at)));
    return { status: 'queued' };
  }

  @Get('stats')
  @ApiOperation({ summary: 'Page views, unique users and the top 3 paths of a site, one day or all time' })
  @ApiResponse({ status: 200, schema: { example: { site_id: 'test-site', date: '2025-11-14', total_views: 42, unique_users: 15, top_paths: [{ path: '/home', views: 25 }] } } })
  async stats(@Query() query: unknown) {
    const value = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date']);
    return (await siteStats(this.queries, value.site_id, value.date)).stats;
  }
}
