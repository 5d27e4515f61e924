import { Body, Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiSdkErrors } from '../../../shared/http/api-problems';
import type { FastifyReply } from 'fastify';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { RecordEventsCommand, RecordOutcome } from '../../../tracking/application/record-events';
import { AnonymousVisitors } from '../../../visitors/application/anonymous-visitors';
import { BotEventsIgnored } from '../../../visitors/application/bot-events-ignored.event';
import { isBrowserBot } from '../../../visitors/domain/anonymous-visitor';
import { mapPlausibleEvent, NATIVE_TO_PLAUSIBLE } from '../../application/plausible-events';
import { plausibleErrors } from './plausible-errors';
import { PLAUSIBLE_EVENT_ROUTE } from './plausible-routes';
import { PlausibleErrorResponse } from './plausible.responses';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Broken JSON or invalid fields (named as sent: `n`, `u`, `d`, `p`…); nothing stored.',
  401: '`d` names a site without a public ingestion key (`no-public-key`), once API keys exist; or an unknown API key.',
  403: "A browser on an origin none of the site key's origins lists (`foreign-origin`), or (with an ingest key) another site in `d`.",
  413: 'The body is over 64 KiB.',
  415: 'The body is neither text/plain nor application/json.',
  429: 'Rate limit exceeded; see Retry-After.',
  500: 'An unexpected error.',
  503: 'The database is unavailable; see Retry-After.',
};


const EVENT_SCHEMA = {
  type: 'object' as const,
  additionalProperties: true,
  description:
    "What Plausible's script sends (short names); its Events API's long names (name, url, domain, referrer, props, revenue, hashMode) are read too. " +
    'Dropped: i (interactive), v (script version), the rest of the query string, and `engagement` events (accepted, not stored).',
  properties: {
    n: { type: 'string' as const, minLength: 1, maxLength: 100, description: '`pageview` → action `page_view`; any other name is the action.', example: 'pageview' },
    u: { type: 'string' as const, maxLength: 8192, description: 'The page URL: its path is stored (with the fragment when h = 1); utm_* parameters go to metadata.', example: 'https://shop.example/pricing?utm_source=newsletter' },
    d: { type: 'string' as const, minLength: 1, maxLength: 128, description: "Our site id (data-domain). A comma-separated list names its first site; the others are dropped. An ingest key fills it in.", example: 'shop' },
    r: { type: 'string' as const, nullable: true, maxLength: 2048, description: 'The referrer: metadata.referrer when it is another site, without its query string.' },
    p: {
      oneOf: [{ type: 'object' as const, additionalProperties: true }, { type: 'string' as const, maxLength: 65_536 }],
      description: 'Custom properties (also `m`, `props`, `meta`): an object, or a string holding a JSON object. Metadata (16 KiB at most).',
    },
    h: { type: 'integer' as const, format: 'int32', minimum: 0, maximum: 1, description: '1: hash-based routing, the fragment is part of the path.' },
    $: { type: 'object' as const, additionalProperties: true, description: 'Revenue {amount, currency}: metadata.revenue.' },
  },
};

/**
 * Plausible's events endpoint, as its script (`data-api`) and npm tracker (`endpoint`) call it:
 * each request becomes one event through the same RecordEventsCommand as the native routes,
 * answered 202 once committed. No API key: the key guard lets a keyless request stand for the
 * public ingestion key of the site in `d` (SITE_ROUTES).
 */
@ApiTags('compat: plausible')
@ApiBearerAuth('bearer')
@ApiSecurity('api-key')
@Controller('plausible/api')
@ShapeErrors(plausibleErrors)
export class PlausibleController {
  constructor(
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly visitors: AnonymousVisitors,
  ) {}

  @Post('event')
  @HttpCode(202)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: "Plausible event: a page view or custom event from Plausible's script",
    description:
      "Plausible's events endpoint: set the script's `data-api` (or the npm tracker's `endpoint`) to this URL and `data-domain` to our site id. " +
      'No API key needed: a keyless request stands for the public ingestion key of `d` (browsers only from its origins); an API key is checked as usual. ' +
      'The user is always the anonymous visitor id (a daily salted hash of site, address and user agent). Answers 202 `ok` once stored; ' +
      'bots (isbot, or no user agent) and engagement events are answered 202 with `x-plausible-dropped: 1` and not stored. No idempotency key exists in the protocol.',
  })
  @ApiBody({
    schema: EVENT_SCHEMA,
    examples: {
      pageview: { value: { n: 'pageview', u: 'https://shop.example/pricing?utm_source=newsletter', d: 'shop', r: 'https://news.example/' } },
      custom: { value: { n: 'Signup', u: 'https://shop.example/register', d: 'shop', r: null, p: { plan: 'pro' } } },
    },
  })
  @ApiAcceptedResponse({
    description: 'Stored; or (header x-plausible-dropped: 1) a bot or an engagement event, not stored.',
    content: { 'text/plain': { schema: { type: 'string', enum: ['ok'] } } },
    headers: { 'x-plausible-dropped': { description: '1 when the event was accepted but not stored (a bot, an engagement event).', required: false, schema: { type: 'string', enum: ['1'] } } },
  })
  @ApiSdkErrors(PlausibleErrorResponse, ERROR_DESCRIPTIONS)
  async event(@Body() body: unknown, @Req() request: RequestWithKey, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const mapped = mapPlausibleEvent(body);
    if (!mapped.ok) throw new ValidationFailedError(mapped.errors);
    const header = request.headers['user-agent'];
    const userAgent = typeof header === 'string' ? header : undefined;
    // Plausible's traffic is a browser's (its Events API asks servers to forward the visitor's
    // user agent): bots are filtered on every request, as Plausible does.
    if (isBrowserBot(userAgent)) {
      this.events.publish(new BotEventsIgnored(PLAUSIBLE_EVENT_ROUTE, 1));
      void reply.header('x-plausible-dropped', '1');
      return 'ok';
    }
    if (mapped.kind === 'engagement') {
      void reply.header('x-plausible-dropped', '1');
      return 'ok';
    }
    const userId = await this.visitors.idOf(mapped.site, request.ip, userAgent ?? '');
    const [outcome]: RecordOutcome[] = await this.commands.execute(new RecordEventsCommand([{ ...mapped.draft, userId }]));
    if (outcome.status === 'rejected') {
      throw new ValidationFailedError(outcome.errors.map((e: FieldError) => ({ path: NATIVE_TO_PLAUSIBLE[e.path] ?? e.path, message: e.message })));
    }
    return 'ok';
  }
}
