import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GetOverviewQuery } from '../../../analytics/application/get-overview';
import { Public } from '../../../shared/http/route-access';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { instantProblem, parseInstant } from '../../../shared/time';
import { plainErrors } from './compat-errors';

/** Seed 002: the summary of a range, `to` inclusive. Base URL is all a client changes. */
@ApiTags('compat: 002 summary')
@Controller()
@ShapeErrors(plainErrors)
export class SummaryController {
  constructor(private readonly queries: QueryBus) {}

  @Get('api/analytics/summary')
  @ApiOperation({ summary: 'Totals, unique users and events by type over [from, to] (to inclusive)' })
  @ApiResponse({ status: 200, schema: { example: { data: { totalEvents: 1250, uniqueUsers: 342, eventsByType: { page_view: 800 } }, cached: false } } })
  @ApiResponse({ status: 400, schema: { example: { error: 'from must be an ISO 8601 date-time' } } })
  async summary(@Query('from') from: unknown, @Query('to') to: unknown) {
    const errors: FieldError[] = [];
    for (const [path, value] of [['from', from], ['to', to]] as const) {
      const problem = value === undefined ? 'is required' : instantProblem(value);
      if (problem) errors.push({ path, message: problem });
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    const start = parseInstant(from as string)!;
    const end = parseInstant(to as string)!;
    if (end < start) throw new ValidationFailedError([{ path: 'to', message: 'must not be before from' }]);
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
