import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetOverviewQuery } from '../../../analytics/application/get-overview';
import { Public } from '../../../shared/http/route-access';
import { parseInstant } from '../../../shared/time';

/** Seed 002: the summary of a range, `to` inclusive. Base URL is all a client changes. */
@ApiTags('compat: 002 summary')
@Controller()
export class SummaryController {
  constructor(private readonly queries: QueryBus) {}

  @Get('api/analytics/summary')
  @ApiOperation({ summary: 'Totals, unique users and events by type over [from, to] (to inclusive)' })
  @ApiResponse({ status: 200, schema: { example: { data: { totalEvents: 1250, uniqueUsers: 342, eventsByType: { page_view: 800 } }, cached: false } } })
  @ApiResponse({ status: 400, schema: { example: { error: 'from must be an ISO 8601 date-time' } } })
  async summary(@Query('from') from: unknown, @Query('to') to: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const start = typeof from === 'string' ? parseInstant(from) : null;
    const end = typeof to === 'string' ? parseInstant(to) : null;
    const problems = [!start && 'from must be an ISO 8601 date-time with a time zone', !end && 'to must be an ISO 8601 date-time with a time zone']
      .filter(Boolean)
      .concat(start && end && end < start ? ['to must not be before from'] : []);
    if (problems.length > 0) {
      void reply.status(400);
      return { error: problems.join('; ') };
    }
    const overview = await this.queries.execute(new GetOverviewQuery({ from: start!, till: new Date(end!.getTime() + 1), top: 1 }));
    return { data: { totalEvents: overview.totalEvents, uniqueUsers: overview.uniqueUsers, eventsByType: overview.eventsByAction }, cached: false };
  }

  @Get('health')
  @Public()
  @ApiOperation({ summary: 'Seed 002 health check' })
  health() {
    return { status: 'ok' };
  }
}
