import { Controller, Delete, HttpCode, Param, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { ApiProblems } from '../../../shared/http/api-problems';
import { RequireScope } from '../../../shared/http/route-access';
import { EraseUserCommand } from '../../application/erase-user';
import { UserErasureResponse } from './users.responses';

@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly commands: CommandBus) {}

  @Delete(':user_id')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: "Erase a user: their events, metrics and place in every figure",
    description:
      "Deletes the user's events and per-window metric rows and takes them out of every rollup (daily counters, " +
      'unique-user sets, the window ledger), in one transaction: afterwards every figure is what it would be had the ' +
      'user never sent an event. Writes wait for the few milliseconds it takes. Records the erasure (when, by which ' +
      'key, how much) with an HMAC of the user id, never the id. Idempotent: a user with nothing stored answers 200 ' +
      'with zeros (and is recorded too).',
  })
  @ApiParam({
    name: 'user_id',
    description: 'As sent in events (an integer user id as its decimal string), URL-encoded.',
    schema: { type: 'string', minLength: 1, maxLength: 128, example: '4711' },
  })
  @ApiOkResponse({ type: UserErasureResponse })
  @ApiProblems(400, 401, 403, 429, 500, 503)
  async erase(@Param('user_id') userId: string, @Req() request: RequestWithKey): Promise<UserErasureResponse> {
    const key = request.apiKey;
    const requestedBy = key ? `api-key ${key.id} (${key.name})` : 'http (open mode)';
    return UserErasureResponse.from(await this.commands.execute(new EraseUserCommand(userId, requestedBy)));
  }
}
