import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetActiveUsersQuery } from '../../../analytics/application/get-active-users';
import { FieldError } from '../../../shared/errors';
import { parseDate, parseInstant } from '../../../shared/time';
import { eventIdOf } from '../../application/natural-keys';
import { check, record, userIdOf } from './compat-support';
import { LoginDto } from './compat.requests';

const error = (reply: FastifyReply, errors: FieldError[]) => {
  void reply.status(400);
  return { error: errors.map((e) => `${e.path} ${e.message}`).join('; ') };
};

/** Seed 000: daily and monthly unique users from logins. Base URL is all a client changes. */
@ApiTags('compat: 000 user logins')
@Controller('v1/user')
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
  async login(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<void | { error: string }> {
    const { value, errors } = check(LoginDto, body, ['user_id', 'login_time']);
    if (!value) return error(reply, errors);
    const userId = userIdOf(value.user_id)!;
    const loginTime = parseInstant(value.login_time)!;
    const rejected = await record(this.commands, { eventId: eventIdOf.login(userId, loginTime), userId, action: 'login', timestamp: loginTime });
    if (rejected.length > 0) return error(reply, rejected);
  }

  @Get('uniques/daily')
  @ApiOperation({ summary: 'Distinct users with a login that UTC day' })
  @ApiResponse({ status: 200, schema: { example: { date: '2025-08-09', unique_users: 1 } } })
  async daily(@Query('date') date: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const day = typeof date === 'string' ? parseDate(date) : null;
    if (!day) return error(reply, [{ path: 'date', message: 'must be a date in the form YYYY-MM-DD' }]);
    const result = await this.queries.execute(new GetActiveUsersQuery('day', day, day, undefined, undefined, 'login'));
    return { date, unique_users: result.data[0].uniqueUsers };
  }

  @Get('uniques/monthly')
  @ApiOperation({ summary: 'Distinct users with a login that UTC month' })
  @ApiResponse({ status: 200, schema: { example: { month: '2025-08', unique_users: 987 } } })
  async monthly(@Query('month') month: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const first = typeof month === 'string' && /^\d{4}-\d{2}$/.test(month) ? parseDate(`${month}-01`) : null;
    if (!first) return error(reply, [{ path: 'month', message: 'must be a month in the form YYYY-MM' }]);
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    const result = await this.queries.execute(new GetActiveUsersQuery('month', first, last, undefined, undefined, 'login'));
    return { month, unique_users: result.data[0].uniqueUsers };
  }
}
