import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { answerFile, answerFileFormatOf, ExportColumn, fileNameOf } from '../../../shared/http/export-stream';
import { AppConfig } from '../../../config';
import { ApiProblems } from '../../../shared/http/api-problems';
import { parseDate, parseInstant } from '../../../shared/time';
import { startOfLocalDay, timeZoneOf } from '../../../shared/time-zone';
import { GetActiveUsersQuery } from '../../application/get-active-users';
import { GetOverviewQuery } from '../../application/get-overview';
import { ActiveUsersQueryDto, OverviewQueryDto, RetentionQueryDto } from './analytics.requests';
import { ActiveUsersResponse, OverviewResponse, RetentionResponse } from './analytics.responses';
import { GetRetentionQuery } from '../../application/get-retention';
import { MAX_COHORTS } from '../../application/periods';

/** The documented answer: the JSON of `type`, or (format=csv|ndjson, or Accept) the same figures as a file. */
const okAsJsonOrFile = (type: Function, rows: string) =>
  ApiOkResponse({
    description: `The answer; with format=csv or ndjson (or Accept: text/csv, application/x-ndjson) the same figures as a file (Content-Disposition: attachment), ${rows}.`,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(type) } },
      'text/csv': { schema: { type: 'string', maxLength: 100_000_000 } },
      'application/x-ndjson': { schema: { type: 'string', maxLength: 100_000_000 } },
    },
  });

/** The overview as rows of a file: one figure a row, named by its section and key (an action, a path, a site). */
interface OverviewFigure {
  section: string;
  key: string | null;
  value: number;
}
const FIGURE_COLUMNS: ExportColumn<OverviewFigure>[] = [
  { header: 'section', cell: (f) => f.section },
  { header: 'key', cell: (f) => f.key },
  { header: 'value', cell: (f) => f.value },
];

@ApiTags('analytics')
@ApiExtraModels(ActiveUsersResponse, OverviewResponse, RetentionResponse)
@Controller('api/analytics')
export class AnalyticsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly config: AppConfig,
  ) {}

  /** The request's zone (validated by the DTO), else the service's default. */
  private zoneOf(tz: string | undefined): string {
    return tz === undefined ? this.config.defaultTimeZone : timeZoneOf(tz)!;
  }

  @Get('active-users')
  @ApiOperation({
    summary: 'Unique users per day, ISO week or month, or rolling N-day active users per day',
    description:
      'Every period touching [from, to] appears, zeros included, labelled by its first day; the range clips the first and last periods. At most 1000 periods. ' +
      'Days, weeks, months and rolling windows are local calendar periods of tz (default DEFAULT_TZ, UTC unless set); the answer names the zone used. ' +
      'With ratio=dau_mau or dau_wau (interval=day only), each day also has window_users (users of the 30 or 7 local days ending that day) and ratio, the stickiness.',
  })
  @okAsJsonOrFile(ActiveUsersResponse, 'a row per period: period_start, unique_users (and window_users, ratio with ratio)')
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async activeUsers(
    @Query() query: ActiveUsersQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ActiveUsersResponse | string> {
    const zone = this.zoneOf(query.tz);
    const result = await this.queries.execute(
      new GetActiveUsersQuery(
        query.interval,
        parseDate(query.from)!,
        parseDate(query.to)!,
        query.site_id,
        query.rolling === undefined ? undefined : Number(query.rolling),
        undefined,
        zone,
        query.ratio,
      ),
    );
    const answer: ActiveUsersResponse = {
      interval: result.interval,
      tz: result.zone,
      rolling: result.rolling,
      data: result.data.map((p) =>
        p.windowUsers === undefined
          ? { period_start: p.periodStart, unique_users: p.uniqueUsers }
          : { period_start: p.periodStart, unique_users: p.uniqueUsers, window_users: p.windowUsers, ratio: p.ratio ?? null },
      ),
    };
    const file = answerFileFormatOf(query.format, request.headers.accept);
    if (!file) return answer;
    type Row = ActiveUsersResponse['data'][number];
    const columns: ExportColumn<Row>[] = [
      { header: 'period_start', cell: (p) => p.period_start },
      { header: 'unique_users', cell: (p) => p.unique_users },
      ...(query.ratio === undefined
        ? []
        : [
            { header: 'window_users', cell: (p: Row) => p.window_users ?? null },
            { header: 'ratio', cell: (p: Row) => p.ratio ?? null },
          ]),
    ];
    const name = fileNameOf('active-users', query.interval, query.rolling && `rolling-${query.rolling}`, query.ratio, query.site_id && `site-${query.site_id}`, query.from, query.to, answer.tz);
    return answerFile(reply, file, name, columns, answer.data);
  }

  @Get('overview')
  @ApiOperation({
    summary: 'Totals, unique users, page views, events by action, top paths and the per-site split over a range or all time',
    description:
      'from inclusive, till exclusive; all time without them. page_views counts page_view events; top_paths ranks paths by them (ties by path). ' +
      'new_users: users of the range whose first event ever (of site_id, when given) is in it (all of them without from); returning_users: the others. ' +
      'from and till are instants, or dates YYYY-MM-DD read as the start of that local day of tz (default DEFAULT_TZ, UTC unless set); the answer names the zone used and the instants.',
  })
  @okAsJsonOrFile(OverviewResponse, 'a row per figure: section (total_events, unique_users, new_users, returning_users, page_views, events_by_action, top_paths, site_events, site_unique_users, site_page_views), key (the action, path or site; empty for totals and for events without a site), value')
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async overview(
    @Query() query: OverviewQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OverviewResponse | string> {
    const zone = this.zoneOf(query.tz);
    const bound = (value: string) => parseInstant(value) ?? startOfLocalDay(zone, parseDate(value)!);
    const from = query.from ? bound(query.from) : undefined;
    const till = query.till ? bound(query.till) : undefined;
    const result = await this.queries.execute(
      new GetOverviewQuery({ from, till, siteId: query.site_id, top: query.top === undefined ? 10 : Number(query.top) }),
    );
    const answer: OverviewResponse = {
      from: from?.toISOString() ?? null,
      till: till?.toISOString() ?? null,
      tz: zone,
      site_id: query.site_id ?? null,
      total_events: result.totalEvents,
      unique_users: result.uniqueUsers,
      new_users: result.newUsers,
      returning_users: result.uniqueUsers - result.newUsers,
      page_views: result.pageViews,
      events_by_action: result.eventsByAction,
      top_paths: result.topPaths,
      sites: result.sites.map((s) => ({ site_id: s.siteId, events: s.events, unique_users: s.uniqueUsers, page_views: s.pageViews })),
    };
    const file = answerFileFormatOf(query.format, request.headers.accept);
    if (!file) return answer;
    const total = (section: keyof OverviewResponse): OverviewFigure => ({ section, key: null, value: answer[section] as number });
    const figures: OverviewFigure[] = [
      ...(['total_events', 'unique_users', 'new_users', 'returning_users', 'page_views'] as const).map(total),
      ...Object.entries(answer.events_by_action).map(([action, n]) => ({ section: 'events_by_action', key: action, value: n })),
      ...answer.top_paths.map((p) => ({ section: 'top_paths', key: p.path, value: p.views })),
      ...answer.sites.flatMap((site) => [
        { section: 'site_events', key: site.site_id, value: site.events },
        { section: 'site_unique_users', key: site.site_id, value: site.unique_users },
        { section: 'site_page_views', key: site.site_id, value: site.page_views },
      ]),
    ];
    const name = fileNameOf('overview', query.site_id && `site-${query.site_id}`, query.from && `from-${query.from}`, query.till && `till-${query.till}`, zone);
    return answerFile(reply, file, name, FIGURE_COLUMNS, figures);
  }

  @Get('retention')
  @ApiOperation({
    summary: 'Retention cohorts: per day, ISO week or month, how many of its users were active in each following period',
    description:
      'The cohorts are the periods starting in [from, till) (local dates of tz, default DEFAULT_TZ; from must start a period), at most ' + MAX_COHORTS + '. ' +
      'mode=new (default): a cohort is the users first seen in its period — their first event ever matching the same site_id and action filter is in it, whenever it was recorded. ' +
      'mode=returning: every user active in the period. active[k] counts the cohort\'s users active in the k-th period after its own (active[0] = users), ' +
      'up to the last period starting before till, counted whole; fraction[k] = active[k] / users (null when users is 0). Exact: OR and AND of the per-day and per-hour user bitmaps.',
  })
  @okAsJsonOrFile(RetentionResponse, 'a row per cohort and period after it: cohort_start, users, offset (0 = the cohort\'s own period), active, fraction')
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async retention(
    @Query() query: RetentionQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RetentionResponse | string> {
    const zone = this.zoneOf(query.tz);
    const mode = query.mode ?? 'new';
    const result = await this.queries.execute(
      new GetRetentionQuery(query.period, parseDate(query.from)!, parseDate(query.till)!, mode, query.site_id, query.action, zone),
    );
    const answer: RetentionResponse = {
      period: result.interval,
      mode: result.mode,
      tz: result.zone,
      site_id: query.site_id ?? null,
      action: query.action ?? null,
      from: query.from,
      till: query.till,
      cohorts: result.cohorts.map((c) => ({ period_start: c.periodStart, users: c.users, active: c.active, fraction: c.fraction })),
    };
    const file = answerFileFormatOf(query.format, request.headers.accept);
    if (!file) return answer;
    type Cell = { cohort_start: string; users: number; offset: number; active: number; fraction: number | null };
    const cells: Cell[] = answer.cohorts.flatMap((c) =>
      c.active.map((active, offset) => ({ cohort_start: c.period_start, users: c.users, offset, active, fraction: c.fraction[offset] })),
    );
    const columns: ExportColumn<Cell>[] = (['cohort_start', 'users', 'offset', 'active', 'fraction'] as const).map((field) => ({
      header: field,
      cell: (c: Cell) => c[field],
    }));
    const name = fileNameOf('retention', query.period, mode, query.site_id && `site-${query.site_id}`, query.action, query.from, query.till, zone);
    return answerFile(reply, file, name, columns, cells);
  }
}
