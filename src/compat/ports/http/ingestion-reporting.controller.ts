import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { Public } from '../../../shared/http/route-access';
import { eventIdOf } from '../../application/natural-keys';
import { jsendErrors } from './compat-errors';
import { check, record, SITE_EVENT_FIELDS, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto } from './compat.requests';

/** Seed 001: ingestion and reporting under /api. Base URL is all a client changes. */
@ApiTags('compat: 001 ingestion and reporting')
@Controller('api')
@ShapeErrors(jsendErrors)
export class IngestionReportingController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('ingestion/event')
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a site event; the same (site_id, user_id, path, timestamp) twice is stored once' })
  @ApiResponse({ status: 202, schema: { example: { status: 'queued' } } })
  @ApiResponse({ status: 400, schema: { example: { status: 'fail', errors: [{ path: 'body.site_id', message: 'site_id is required' }] } } })
  async ingest(@Body() body: unknown) {
    const value = check(SiteEventDto, body, SITE_EVENT_FIELDS);
    await record(this.commands, siteEventDraft(value, (site, _type, user, path, at) => eventIdOf.ingestion(site, user, path, at)));
    return { status: 'queued' };
  }

  @Get('reporting/stats')
  @ApiOperation({ summary: 'Page views, unique users and the top 3 paths of a site, one day or all time' })
  @ApiResponse({ status: 200, description: '{"status": "success", "data": {…}}' })
  @ApiResponse({ status: 404, schema: { example: { status: 'fail', message: 'No analytics data found for the specified criteria.' } } })
  async stats(@Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const value = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date']);
    const { found, stats } = await siteStats(this.queries, value.site_id, value.date);
    if (!found) {
      void reply.status(404);
      return { status: 'fail', message: 'No analytics data found for the specified criteria.' };
    }
    return { status: 'success', data: stats };
  }

  @Get('healthcheck')
  @Public()
  @ApiOperation({ summary: 'Seed 001 health check' })
  health() {
    return { message: 'API is running, healthy, and ready!' };
  }
}
