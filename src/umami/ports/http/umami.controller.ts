import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiSdkErrors } from '../../../shared/http/api-problems';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { RecordEventsCommand, RecordOutcome } from '../../../tracking/application/record-events';
import { AnonymousVisitors } from '../../../visitors/application/anonymous-visitors';
import { BotEventsIgnored } from '../../../visitors/application/bot-events-ignored.event';
import { isBrowserBot } from '../../../visitors/domain/anonymous-visitor';
import { mapUmamiSend, NATIVE_TO_UMAMI } from '../../application/umami-payloads';
import { umamiErrors } from './umami-errors';
import { UMAMI_SEND_ROUTE } from './umami-routes';
import { UmamiErrorResponse, UmamiSendResponse } from './umami.responses';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Broken JSON or invalid fields (`error.errors` names each, e.g. `payload.url`); nothing stored.',
  401: '`payload.website` names a site without a public ingestion key (`no-public-key`), once API keys exist; or an unknown API key.',
  403: 'A browser on an origin none of the site key\'s origins lists (`foreign-origin`), or (with an ingest key) another site in `payload.website`.',
  413: 'The body is over 64 KiB.',
  415: 'The body is neither application/json nor text/plain.',
  429: 'Rate limit exceeded; see Retry-After.',
  500: 'An unexpected error.',
  503: 'The database is unavailable; see Retry-After.',
};


const SEND_SCHEMA = {
  type: 'object' as const,
  required: ['type', 'payload'],
  additionalProperties: true,
  properties: {
    type: { type: 'string' as const, enum: ['event', 'identify', 'performance'], description: '`performance` (web vitals) is accepted and not stored.' },
    payload: {
      type: 'object' as const,
      additionalProperties: true,
      description: 'Dropped: hostname (but as the base of a relative url), title, screen, language, tag, browser, os, device, the web-vitals fields.',
      properties: {
        website: { type: 'string' as const, minLength: 1, maxLength: 128, description: 'Our site id (Umami\'s website id). An ingest key fills it in.', example: 'shop' },
        url: { type: 'string' as const, maxLength: 8192, description: 'The page: its path (with the fragment) is stored; of the query string only the utm_* parameters, as metadata.', example: '/pricing?utm_source=newsletter' },
        name: { type: 'string' as const, maxLength: 100, description: 'A custom event\'s name (the action); absent or empty: a page view (`page_view`).', example: 'signup' },
        data: { type: 'object' as const, additionalProperties: true, description: 'The event\'s data: metadata (with referrer and utm_*; 16 KiB at most).' },
        id: { type: 'string' as const, maxLength: 128, description: 'Umami\'s distinct id: the user. Absent: the anonymous visitor id (daily salted hash of site, address, user agent).', example: 'user-42' },
        referrer: { type: 'string' as const, maxLength: 2048, description: 'Kept in metadata when it is another site, without its query string.' },
        hostname: { type: 'string' as const, maxLength: 253, example: 'shop.example' },
        timestamp: { type: 'integer' as const, format: 'int64', minimum: 0, maximum: 253_402_300_799, description: 'Unix seconds; default: when the server received the request. At most 10 minutes ahead.' },
        ip: { type: 'string' as const, maxLength: 64, description: 'A server forwarding a visitor: the visitor\'s address, for the anonymous id (never stored).' },
        userAgent: { type: 'string' as const, maxLength: 1024, description: 'A server forwarding a visitor: the visitor\'s user agent (anonymous id, bot filter).' },
        title: { type: 'string' as const, maxLength: 65_536, description: 'Dropped.' },
        screen: { type: 'string' as const, maxLength: 11, description: 'Dropped.' },
        language: { type: 'string' as const, maxLength: 35, description: 'Dropped.' },
      },
    },
  },
};

/**
 * Umami's collection API (`POST /api/send`), as its tracker script and @umami/node call it:
 * each request becomes one event through the same RecordEventsCommand as the native routes,
 * answered once committed. These clients send no API key: the key guard lets a keyless
 * request stand for the public ingestion key of the site in `payload.website` (SITE_ROUTES).
 */
@ApiTags('compat: umami')
@ApiBearerAuth('bearer')
@ApiSecurity('api-key')
@Controller('api')
@ShapeErrors(umamiErrors)
export class UmamiController {
  constructor(
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly visitors: AnonymousVisitors,
  ) {}

  @Post('send')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Umami send: a page view, custom event or identify, from Umami\'s tracker or @umami/node',
    description:
      "Umami's collection route: point the tracker (`data-host-url`) or @umami/node (`hostUrl`) here and use our site id as the website id. " +
      'No API key needed: a keyless request stands for the public ingestion key of `payload.website` (browsers only from its origins); an API key is checked as usual. ' +
      'Answers 200 once the event is committed; no idempotency key exists in Umami\'s protocol, so every request is a new event. ' +
      'Browser requests (with Origin, or a forwarded `payload.userAgent`) from bots are answered `{"beep": "boop"}` and not stored; server requests are kept.',
  })
  @ApiBody({
    schema: SEND_SCHEMA,
    examples: {
      pageview: { value: { type: 'event', payload: { website: 'shop', hostname: 'shop.example', url: '/pricing?utm_source=newsletter', referrer: 'https://news.example/', title: 'Pricing', language: 'en-US', screen: '1920x1080' } } },
      event: { value: { type: 'event', payload: { website: 'shop', url: '/checkout', name: 'purchase', data: { revenue: 42.5, currency: 'EUR' }, id: 'user-42' } } },
      identify: { value: { type: 'identify', payload: { website: 'shop', id: 'user-42', data: { plan: 'pro' } } } },
    },
  })
  @ApiOkResponse({ type: UmamiSendResponse, description: 'Stored (`{}`), ignored as a bot (`{"beep": "boop"}`), or a performance report accepted and not stored (`{}`).' })
  @ApiSdkErrors(UmamiErrorResponse, ERROR_DESCRIPTIONS)
  async send(@Body() body: unknown, @Req() request: RequestWithKey): Promise<UmamiSendResponse> {
    const mapped = mapUmamiSend(body);
    if (!mapped.ok) throw new ValidationFailedError(mapped.errors);
    if (mapped.kind === 'performance') return {};
    const header = request.headers['user-agent'];
    const userAgent = mapped.client.userAgent ?? (typeof header === 'string' ? header : undefined);
    // Browser traffic is filtered for bots, as Umami filters everything; a server SDK (no
    // Origin, no forwarded user agent) is not: isbot flags servers' own user agents.
    const fromBrowser = typeof request.headers.origin === 'string' || mapped.client.userAgent !== undefined;
    if (fromBrowser && isBrowserBot(userAgent)) {
      this.events.publish(new BotEventsIgnored(UMAMI_SEND_ROUTE, 1));
      return { beep: 'boop' };
    }
    const userId = mapped.distinctId ?? (await this.visitors.idOf(mapped.site, mapped.client.ip ?? request.ip, userAgent ?? ''));
    const [outcome]: RecordOutcome[] = await this.commands.execute(new RecordEventsCommand([{ ...mapped.draft, userId }]));
    if (outcome.status === 'rejected') {
      throw new ValidationFailedError(outcome.errors.map((e: FieldError) => ({ path: NATIVE_TO_UMAMI[e.path] ?? e.path, message: e.message })));
    }
    return {};
  }
}
