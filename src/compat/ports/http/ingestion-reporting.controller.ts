import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiCompatErrors, ApiProblems } from '../../../shared/http/api-problems';
import type { FastifyReply } from 'fastify';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { Public } from '../../../shared/http/route-access';
import { eventIdOf } from '../../application/natural-keys';
import { jsendErrors } from './compat-errors';
import { AppConfig } from '../../../config';
import { check, compatZone, record, SITE_EVENT_FIELDS, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto, tzQuery } from './compat.requests';
import { HealthcheckMessageResponse, QueuedResponse, ReportingStatsResponse } from './compat.responses';

/** Seed 001: ingestion and reporting under /api. Base URL is all a client changes. */
@ApiTags('compat: 001 ingestion and reporting')
@Controller('api')
@ShapeErrors(jsendErrors)
export class IngestionReportingController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly config: AppConfig,
  ) {}

  @Post('ingestion/event')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record a site event; the same (site_id, user_id, path, timestamp) twice is stored once',
    description: 'Answers after the event is committed, so a read right after the 202 sees it. Other fields are ignored. Body at most 64 KiB.',
  })
  @ApiBody({ type: SiteEventDto })
  @ApiResponse({ status: 202, type: QueuedResponse, description: 'Stored (or already stored).' })
  @ApiCompatErrors('001', 400, 401, 403, 413, 415, 429, 500, 503)
  async ingest(@Body() body: unknown) {
    const value = check(SiteEventDto, body, SITE_EVENT_FIELDS);
    await record(this.commands, siteEventDraft(value, (site, _type, user, path, at) => eventIdOf.ingestion(site, user, path, at)));
    return { status: 'queued' };
  }

  @Get('reporting/stats')
  @ApiOperation({
    summary: 'Page views, unique users and the top 3 paths of a site, one day or all time',
    description: 'With date: that UTC day, or with tz (or DEFAULT_TZ) that local day; without: all time ("date": "all-time").',
  })
  @ApiQuery({ name: 'site_id', required: true, schema: { type: 'string', minLength: 1, maxLength: 128, example: 'site-abc-123' } })
  @ApiQuery({ name: 'date', required: false, schema: { type: 'string', format: 'date', maxLength: 10, example: '2025-11-12' } })
  @ApiQuery(tzQuery('America/New_York'))
  @ApiOkResponse({ type: ReportingStatsResponse })
  @ApiCompatErrors('001', 400, 401, 403, 404, 429, 500, 503)
  async stats(@Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const value = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date', 'tz']);
    const { zone, named } = compatZone(this.config.defaultTimeZone, value.tz);
    const { found, stats } = await siteStats(this.queries, value.site_id, value.date, zone);
    if (!found) {
      void reply.status(404);
      return { status: 'fail', message: 'No analytics data found for the specified criteria.' };
    }
    return { status: 'success', data: { ...stats, ...named } };
  }

  @Get('healthcheck')
  @Public()
  @ApiOperation({ summary: 'Seed 001 health check', description: 'Public. The process is up (does not touch the database).' })
  @ApiOkResponse({ type: HealthcheckMessageResponse })
  @ApiProblems(500)
  health() {
    return { message: 'API is running, healthy, and ready!' };
  }
}
