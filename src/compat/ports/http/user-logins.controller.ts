import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GetActiveUsersQuery } from '../../../analytics/application/get-active-users';
import { ValidationFailedError } from '../../../shared/errors';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { dateProblem, monthProblem, parseDate, parseInstant } from '../../../shared/time';
import { eventIdOf } from '../../application/natural-keys';
import { plainErrors } from './compat-errors';
import { check, record, userIdOf } from './compat-support';
import { LoginDto } from './compat.requests';

/** Seed 000: daily and monthly unique users from logins. Base URL is all a client changes. */
@ApiTags('compat: 000 user logins')
@Controller('v1/user')
@ShapeErrors(plainErrors)
export class UserLoginsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('login')
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a login (action "login"); the same user and login_time twice is stored once' })
  @ApiResponse({ status: 202, description: 'Stored.' })
  @ApiResponse({ status: 400, description: '{"error": "…"}' })
  async login(@Body() body: unknown): Promise<void> {
    const value = check(LoginDto, body, ['user_id', 'login_time']);
    const userId = userIdOf(value.user_id)!;
    const loginTime = parseInstant(value.login_time)!;
    const draft = { eventId: eventIdOf.login(userId, loginTime), userId, action: 'login', timestamp: loginTime };
    await record(this.commands, draft, { timestamp: 'login_time' });
  }

  @Get('uniques/daily')
  @ApiOperation({ summary: 'Distinct users with a login that UTC day' })
  @ApiResponse({ status: 200, schema: { example: { date: '2025-08-09', unique_users: 1 } } })
  async daily(@Query('date') date: unknown) {
    const problem = dateProblem(date);
    if (problem) throw new ValidationFailedError([{ path: 'date', message: problem }]);
    const day = parseDate(date as string)!;
    const result = await this.queries.execute(new GetActiveUsersQuery('day', day, day, undefined, undefined, 'login'));
    return { date, unique_users: result.data[0].uniqueUsers };
  }

  @Get('uniques/monthly')
  @ApiOperation({ summary: 'Distinct users with a login that UTC month' })
  @ApiResponse({ status: 200, schema: { example: { month: '2025-08', unique_users: 987 } } })
  async monthly(@Query('month') month: unknown) {
    const problem = monthProblem(month);
    if (problem) throw new ValidationFailedError([{ path: 'month', message: problem }]);
    const first = parseDate(`${month as string}-01`)!;
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    const result = await this.queries.execute(new GetActiveUsersQuery('month', first, last, undefined, undefined, 'login'));
    return { month, unique_users: result.data[0].uniqueUsers };
  }
}
