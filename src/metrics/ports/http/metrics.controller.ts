import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config';
import { ExportColumn, exportFormatOf, ExportGate, fileNameOf, mapRows, rangeFileName, sendExport } from '../../../shared/http/export-stream';
import { ExportMetricsQuery } from '../../application/export-metrics';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ValidationFailedError } from '../../../shared/errors';
import { ApiProblems } from '../../../shared/http/api-problems';
import { RequireScope } from '../../../shared/http/route-access';
import { PageQueryDto } from '../../../shared/http/page-query.requests';
import { parseInstant } from '../../../shared/time';
import { ComputeActivityMetricsCommand } from '../../application/compute-activity-metrics';
import { ListMetricsQuery } from '../../application/list-metrics';
import { ListWindowsQuery } from '../../application/list-windows';
import { ComputeMetricsDto, ExportMetricsQueryDto, ListMetricsQueryDto, ListWindowsQueryDto } from './metrics.requests';
import {
  ComputedWindowResponse,
  MetricsRunResponse,
  UserMetricsPageResponse,
  UserMetricsResponse,
  WindowPageResponse,
  WindowResponse,
} from './metrics.responses';

const instant = (value?: string) => (value ? parseInstant(value)! : undefined);

/** The CSV columns of a metrics export: the fields of GET /api/metrics, action_counts as JSON text. */
const METRIC_COLUMNS: ExportColumn<UserMetricsResponse>[] = (
  [
    'user_id', 'window_start', 'window_end', 'event_count', 'distinct_actions', 'action_counts',
    'first_event_at', 'last_event_at', 'session_count', 'active_seconds', 'computed_at',
  ] as const
).map((field) => ({
  header: field,
  cell: (m: UserMetricsResponse) => {
    const value = m[field];
    return typeof value === 'object' ? JSON.stringify(value) : value;
  },
}));

@ApiTags('metrics')
@Controller('api/metrics')
export class MetricsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly exportGate: ExportGate,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Compute the 4-hour activity metrics',
    description:
      'No body (or {}): every ended window that is pending or stale. With from and till: recompute every ended ' +
      'window overlapping the range, whatever its state (a backfill, at most 366 days). Safe to call concurrently ' +
      'and repeatedly: a window is never computed by two runs at once nor twice for the same change.',
  })
  @ApiBody({
    type: ComputeMetricsDto,
    required: false,
    examples: { backfill: { summary: 'Recompute the day of the example events', value: { from: '2025-10-23T00:00:00Z', till: '2025-10-24T00:00:00Z' } } },
  })
  @ApiOkResponse({ type: MetricsRunResponse })
  @ApiProblems(400, 401, 403, 413, 415, 429, 500, 503)
  async compute(@Body() body: ComputeMetricsDto): Promise<MetricsRunResponse> {
    if ((body.from === undefined) !== (body.till === undefined)) {
      const missing = body.from === undefined ? 'from' : 'till';
      throw new ValidationFailedError([{ path: missing, message: 'is required when backfilling a range (give both from and till)' }]);
    }
    const range = body.from && body.till ? { from: instant(body.from)!, till: instant(body.till)! } : undefined;
    const result = await this.commands.execute(new ComputeActivityMetricsCommand('http', range));
    return { windows: result.windows.map(ComputedWindowResponse.from) };
  }

  @Get()
  @ApiOperation({ summary: 'List per-user metrics', description: 'Ordered by window_start, then user_id.' })
  @ApiOkResponse({ type: UserMetricsPageResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async list(@Query() query: ListMetricsQueryDto): Promise<UserMetricsPageResponse> {
    const page = await this.queries.execute(
      new ListMetricsQuery(
        { userId: query.user_id, from: instant(query.from), till: instant(query.till) },
        PageQueryDto.limitOf(query),
        query.cursor,
      ),
    );
    return { data: page.data.map(UserMetricsResponse.from), next_cursor: page.nextCursor };
  }

  @Get('export')
  @ApiOperation({
    summary: 'Export per-user metrics as CSV or NDJSON',
    description:
      'Every metric row GET /api/metrics would list with these filters (no page size, no cap), ordered by window_start, ' +
      'then user_id, streamed from a database cursor as the client reads. CSV columns: the fields of GET /api/metrics, ' +
      "action_counts as JSON; text cells starting with = + - @ tab or CR get a leading '. Same streaming, failure and " +
      'concurrency rules as GET /api/events/export.',
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'The file (Content-Disposition: attachment).',
    headers: { 'Content-Disposition': { description: 'attachment; filename="metrics….csv"', schema: { type: 'string', maxLength: 200 } } },
    content: {
      'text/csv': { schema: { type: 'string', maxLength: 1_000_000_000_000 } },
      'application/x-ndjson': { schema: { type: 'string', maxLength: 1_000_000_000_000 } },
    },
  })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async export(@Query() query: ExportMetricsQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const from = instant(query.from);
    const till = instant(query.till);
    const rows = await this.queries.execute(new ExportMetricsQuery({ userId: query.user_id, from, till }));
    await sendExport(reply, mapRows(rows, UserMetricsResponse.from), {
      format: exportFormatOf(query.format, request.headers.accept),
      fileName: fileNameOf('metrics', rangeFileName(from, till)),
      columns: METRIC_COLUMNS,
      json: (m) => m,
      gate: this.exportGate,
      stallTimeoutMs: this.config.exportStallTimeoutMs,
      headOnly: request.method === 'HEAD',
    });
  }

  @Get('windows')
  @ApiOperation({
    summary: 'The window ledger',
    description:
      'Every window that has events, ordered by window_start (oldest first; order=desc for newest first). users, events, computed_at, trigger and duration_ms are null until the window is computed.',
  })
  @ApiOkResponse({ type: WindowPageResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async windows(@Query() query: ListWindowsQueryDto): Promise<WindowPageResponse> {
    const page = await this.queries.execute(
      new ListWindowsQuery(
        { from: instant(query.from), till: instant(query.till), status: query.status },
        PageQueryDto.limitOf(query),
        query.cursor,
        new Date(),
        query.order ?? 'asc',
      ),
    );
    return { data: page.data.map(WindowResponse.from), next_cursor: page.nextCursor };
  }
}
