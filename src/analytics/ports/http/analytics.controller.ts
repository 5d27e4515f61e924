import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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

@ApiTags('analytics')
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
  @ApiOkResponse({ type: ActiveUsersResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async activeUsers(@Query() query: ActiveUsersQueryDto): Promise<ActiveUsersResponse> {
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
    return {
      interval: result.interval,
      tz: result.zone,
      rolling: result.rolling,
      data: result.data.map((p) =>
        p.windowUsers === undefined
          ? { period_start: p.periodStart, unique_users: p.uniqueUsers }
          : { period_start: p.periodStart, unique_users: p.uniqueUsers, window_users: p.windowUsers, ratio: p.ratio ?? null },
      ),
    };
  }

  @Get('overview')
  @ApiOperation({
    summary: 'Totals, unique users, page views, events by action, top paths and the per-site split over a range or all time',
    description:
      'from inclusive, till exclusive; all time without them. page_views counts page_view events; top_paths ranks paths by them (ties by path). ' +
      'new_users: users of the range whose first event ever (of site_id, when given) is in it (all of them without from); returning_users: the others. ' +
      'from and till are instants, or dates YYYY-MM-DD read as the start of that local day of tz (default DEFAULT_TZ, UTC unless set); the answer names the zone used and the instants.',
  })
  @ApiOkResponse({ type: OverviewResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async overview(@Query() query: OverviewQueryDto): Promise<OverviewResponse> {
    const zone = this.zoneOf(query.tz);
    const bound = (value: string) => parseInstant(value) ?? startOfLocalDay(zone, parseDate(value)!);
    const from = query.from ? bound(query.from) : undefined;
    const till = query.till ? bound(query.till) : undefined;
    const result = await this.queries.execute(
      new GetOverviewQuery({ from, till, siteId: query.site_id, top: query.top === undefined ? 10 : Number(query.top) }),
    );
    return {
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
  @ApiOkResponse({ type: RetentionResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async retention(@Query() query: RetentionQueryDto): Promise<RetentionResponse> {
    const zone = this.zoneOf(query.tz);
    const mode = query.mode ?? 'new';
    const result = await this.queries.execute(
      new GetRetentionQuery(query.period, parseDate(query.from)!, parseDate(query.till)!, mode, query.site_id, query.action, zone),
    );
    return {
      period: result.interval,
      mode: result.mode,
      tz: result.zone,
      site_id: query.site_id ?? null,
      action: query.action ?? null,
      from: query.from,
      till: query.till,
      cohorts: result.cohorts.map((c) => ({ period_start: c.periodStart, users: c.users, active: c.active, fraction: c.fraction })),
    };
  }
}
