import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../../shared/http/api-problems';
import { AnyScope } from '../../../shared/http/route-access';
import { ApiKeyAuthenticator } from '../../application/api-key-authenticator';
import { RequestWithKey } from './api-key.guard';
import { AccessResponse } from './access.responses';

@ApiTags('access')
@Controller('api/access')
export class AccessController {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {}

  /**
   * Any key — read, write or admin — may ask what it may do: the dashboard asks for a key only
   * when one is needed (401), and disables the actions the key's scope does not allow.
   */
  @Get()
  @AnyScope()
  @ApiOperation({
    summary: 'Whether the service needs API keys, and the name and scope of the key sent',
    description:
      'Any valid key may call it, whatever its scope (rate-limited as a read). While no key exists (open mode) it answers without one, and without `key`.',
  })
  @ApiOkResponse({ type: AccessResponse })
  @ApiProblems(401, 429, 500, 503)
  async access(@Req() request: RequestWithKey): Promise<AccessResponse> {
    const key = request.apiKey ?? null;
    if (key === null) return { mode: await this.authenticator.mode() };
    // An ingest key never gets here (the guard refuses it: 403).
    return { mode: 'keys', key: { name: key.name, scope: key.scope as Exclude<typeof key.scope, 'ingest'> } };
  }
}
