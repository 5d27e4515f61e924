import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FieldError } from '../../../shared/errors';
import { Public } from '../../../shared/http/route-access';
import { eventIdOf } from '../../application/natural-keys';
import { check, record, siteEventDraft, siteStats } from './compat-support';
import { SiteEventDto, SiteStatsQueryDto } from './compat.requests';

const fail = (reply: FastifyReply, errors: FieldError[]) => {
  void reply.status(400);
  return { status: 'fail', errors: errors.map((e) => ({ path: e.path, message: `${e.path.split('.').pop()} ${e.message}` })) };
};

/** Seed 001: ingestion and reporting under /api. Base URL is all a client changes. */
@ApiTags('compat: 001 ingestion and reporting')
@Controller('api')
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
  async ingest(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteEventDto, body, ['site_id', 'event_type', 'path', 'user_id', 'timestamp'], 'body');
    if (!value) return fail(reply, errors);
    const draft = siteEventDraft(value, (site, _type, user, path, at) => eventIdOf.ingestion(site, user, path, at));
    const rejected = await record(this.commands, draft);
    return rejected.length > 0 ? fail(reply, rejected.map((e) => ({ ...e, path: `body.${e.path}` }))) : { status: 'queued' };
  }

  @Get('reporting/stats')
  @ApiOperation({ summary: 'Page views, unique users and the top 3 paths of a site, one day or all time' })
  @ApiResponse({ status: 200, description: '{"status": "success", "data": {…}}' })
  @ApiResponse({ status: 404, schema: { example: { status: 'fail', message: 'No analytics data found for the specified criteria.' } } })
  async stats(@Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { value, errors } = check(SiteStatsQueryDto, { ...(query as object) }, ['site_id', 'date'], 'query');
    if (!value) return fail(reply, errors);
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
