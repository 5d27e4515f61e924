import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiCompatErrors } from '../../../shared/http/api-problems';
import { GetActiveUsersQuery } from '../../../analytics/application/get-active-users';
import { ValidationFailedError } from '../../../shared/errors';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { dateProblem, monthProblem, parseDate, parseInstant } from '../../../shared/time';
import { AppConfig } from '../../../config';
import { eventIdOf } from '../../application/natural-keys';
import { plainErrors } from './compat-errors';
import { check, compatZone, record, userIdOf } from './compat-support';
import { LoginDto, tzQuery } from './compat.requests';
import { DailyUniquesResponse, MonthlyUniquesResponse } from './compat.responses';

/** Seed 000: daily and monthly unique users from logins. Base URL is all a client changes. */
@ApiTags('compat: 000 user logins')
@Controller('v1/user')
@ShapeErrors(plainErrors)
export class UserLoginsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly config: AppConfig,
  ) {}

  private zoneOf(tz: unknown) {
    return compatZone(this.config.defaultTimeZone, tz);
  }

  @Post('login')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record a login (action "login"); the same user and login_time twice is stored once',
    description: 'Answers after the login is committed. Fields other than user_id and login_time are ignored. Body at most 64 KiB.',
  })
  @ApiBody({ type: LoginDto })
  @ApiResponse({ status: 202, description: 'Stored (or already stored): no body.' })
  @ApiCompatErrors('000', 400, 401, 403, 413, 415, 429, 500, 503)
  async login(@Body() body: unknown): Promise<void> {
    const value = check(LoginDto, body, ['user_id', 'login_time']);
    const userId = userIdOf(value.user_id)!;
    const loginTime = parseInstant(value.login_time)!;
    const draft = { eventId: eventIdOf.login(userId, loginTime), userId, action: 'login', timestamp: loginTime };
    await record(this.commands, draft, { timestamp: 'login_time' });
  }

  @Get('uniques/daily')
  @ApiOperation({
    summary: 'Distinct users with a login that day (UTC, or the local day of tz)',
    description: 'Counts users with at least one login event that calendar day: a UTC day, or with tz (or DEFAULT_TZ) that local day (23 or 25 hours across a DST change).',
  })
  @ApiQuery({ name: 'date', required: true, schema: { type: 'string', format: 'date', maxLength: 10, example: '2025-08-09' } })
  @ApiQuery(tzQuery('Asia/Jakarta'))
  @ApiOkResponse({ type: DailyUniquesResponse })
  @ApiCompatErrors('000', 400, 401, 403, 429, 500, 503)
  async daily(@Query('date') date: unknown, @Query('tz') tz: unknown) {
    const problem = dateProblem(date);
    if (problem) throw new ValidationFailedError([{ path: 'date', message: problem }]);
    const { zone, named } = this.zoneOf(tz);
    const day = parseDate(date as string)!;
    const result = await this.queries.execute(new GetActiveUsersQuery('day', day, day, undefined, undefined, 'login', zone));
    return { date, unique_users: result.data[0].uniqueUsers, ...named };
  }

  @Get('uniques/monthly')
  @ApiOperation({
    summary: 'Distinct users with a login that month (UTC, or the local month of tz)',
    description: 'Counts users with at least one login event that calendar month: a UTC month, or with tz (or DEFAULT_TZ) that local month.',
  })
  @ApiQuery({ name: 'month', required: true, schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$', maxLength: 7, example: '2025-08' } })
  @ApiQuery(tzQuery('Asia/Jakarta'))
  @ApiOkResponse({ type: MonthlyUniquesResponse })
  @ApiCompatErrors('000', 400, 401, 403, 429, 500, 503)
  async monthly(@Query('month') month: unknown, @Query('tz') tz: unknown) {
    const problem = monthProblem(month);
    if (problem) throw new ValidationFailedError([{ path: 'month', message: problem }]);
    const { zone, named } = this.zoneOf(tz);
    const first = parseDate(`${month as string}-01`)!;
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    const result = await this.queries.execute(new GetActiveUsersQuery('month', first, last, undefined, undefined, 'login', zone));
    return { month, unique_users: result.data[0].uniqueUsers, ...named };
  }
}
