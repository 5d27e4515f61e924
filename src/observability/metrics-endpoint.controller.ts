import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../shared/http/api-problems';
import { RequireScope } from '../shared/http/route-access';
import { Telemetry } from './telemetry';

@ApiTags('operations')
@Controller('metrics')
export class MetricsEndpointController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get()
  @RequireScope('read')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics of this process (needs a read key once keys exist)',
    description: 'Request counts and latencies by route and status, batch sizes, event and metric counters.',
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string', maxLength: 10_000_000 } } } })
  @ApiProblems(401, 403, 429, 500, 503)
  metrics(): Promise<string> {
    return this.telemetry.registry.metrics();
  }
}
