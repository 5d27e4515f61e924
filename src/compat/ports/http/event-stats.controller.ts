import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiCompatErrors } from '../../../shared/http/api-problems';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { eventIdOf } from '../../application/natural-keys';
import { fastApiErrors } from './compat-errors';
import { AppConfig } from '../../../config';
import { check, compatZone, record, SITE_EVENT_FIELDS, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto, tzQuery } from './compat.requests';
import { QueuedResponse, SiteStatsResponse } from './compat.responses';

/** Seed 004: event ingestion and per-site stats at the root. Base URL is all a client changes. */
@ApiTags('compat: 004 events and stats')
@Controller()
@ShapeErrors(fastApiErrors)
export class EventStatsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly config: AppConfig,
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
  async event(@Body() body: unknown) {
    const value = check(SiteEventDto, body, SITE_EVENT_FIELDS);
    await record(this.commands, siteEventDraft(value, (site, type, user, path, at) => eventIdOf.event(site, type, path, user, at)));
    return { status: 'queued' };
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Page views, unique users and the top 3 paths of a site, one day or all time',
    description: 'With date: that UTC day, or with tz (or DEFAULT_TZ) that local day; without: all time ("date": "all-time"). A site without events answers zeros.',
  })
  @ApiQuery({ name: 'site_id', required: true, schema: { type: 'string', minLength: 1, maxLength: 128, example: 'test-site' } })
  @ApiQuery({ name: 'date', required: false, schema: { type: 'string', format: 'date', maxLength: 10, example: '2025-11-14' } })
  @ApiQuery(tzQuery('America/New_York'))
  @ApiOkResponse({ type: SiteStatsResponse })
  @ApiCompatErrors('004', 422, 401, 403, 429, 500, 503)
  async stats(@Query() query: unknown) {
    const value = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date', 'tz']);
    const { zone, named } = compatZone(this.config.defaultTimeZone, value.tz);
    return { ...(await siteStats(this.queries, value.site_id, value.date, zone)).stats, ...named };
  }
}
