import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { ApiProblems } from '../../../shared/http/api-problems';
import { BODY_LIMIT_KEY } from '../../../shared/http/body-limit';
import { RecordEventsCommand, RecordOutcome } from '../../../tracking/application/record-events';
import { EventDraft } from '../../../tracking/domain/tracked-event';
import { AnonymousVisitors } from '../../../visitors/application/anonymous-visitors';
import { BotEventsIgnored } from '../../../visitors/application/bot-events-ignored.event';
import { isBrowserBot } from '../../../visitors/domain/anonymous-visitor';
import { COLLECT_MAX_BYTES, COLLECT_MAX_EVENTS, mapTrackerEvent, NATIVE_TO_TRACKER, readCollectRequest, TRACKER_TYPES } from '../../application/tracker-events';
import { COLLECT_ROUTE } from './tracker-routes';
import { CollectResponse } from './tracker.responses';

const EVENT_SCHEMA = {
  type: 'object' as const,
  required: ['id', 'type'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' as const, format: 'uuid', maxLength: 36, description: 'Made by the client for this event and sent again unchanged on a retry: a retry is stored once.' },
    type: { type: 'string' as const, enum: [...TRACKER_TYPES], description: 'pageview → action page_view; event → its name; identify → action identify.' },
    name: { type: 'string' as const, minLength: 1, maxLength: 100, description: 'The action of an event (required there, refused elsewhere).' },
    url: { type: 'string' as const, maxLength: 8192, description: "The page's URL (required on a pageview): its path (and fragment, which the tracker sends with data-hash) is stored as path; of its query only utm_* are kept." },
    referrer: { type: 'string' as const, maxLength: 8192, description: "Where the visitor came from: kept (without query and fragment) as metadata.referrer when it is another host's." },
    props: { type: 'object' as const, additionalProperties: true, description: 'The metadata of an event or identify (16 KiB at most once stored).' },
    user_id: { oneOf: [{ type: 'string' as const, minLength: 1, maxLength: 128 }, { type: 'integer' as const, format: 'int64', minimum: -9_007_199_254_740_991, maximum: 9_007_199_254_740_991 }], description: "The user set by identify(); without it, the visitor's anonymous id of the day." },
    ts: {
      oneOf: [{ type: 'integer' as const, format: 'int64', minimum: 0, maximum: 253_402_300_799_999 }, { type: 'string' as const, format: 'date-time', maxLength: 35 }],
      description: "When it happened, by the client's clock: milliseconds since the epoch or ISO 8601 with a zone. Corrected by sent_at.",
    },
  },
};

const EXAMPLE = {
  site: 'shop',
  sent_at: 1761224821000,
  events: [
    { id: '3f0b7a2e-5c1d-4e8f-9a6b-1c2d3e4f5a6b', type: 'pageview', url: 'https://shop.example/pricing?utm_source=newsletter', referrer: 'https://www.google.com/', ts: 1761224820000 },
    { id: '8d2c4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e4f', type: 'event', name: 'signup', props: { plan: 'pro' }, url: 'https://shop.example/pricing', ts: 1761224820500, user_id: 'user-42' },
  ],
};

/**
 * POST /api/collect: the events of our browser tracker (/t.js), through the same
 * RecordEventsCommand as the native routes, so the 202 comes only once they are committed.
 * The tracker sends no key; the global guard finds the site's public ingestion key
 * (TRACKER_SITE_ROUTES). A bot's request (isBrowserBot) gets the same answer and stores nothing.
 */
@ApiTags('tracker')
@ApiSecurity({})
@ApiSecurity('bearer')
@ApiSecurity('api-key')
@Controller('api')
export class CollectController {
  constructor(
    private readonly commands: CommandBus,
    private readonly bus: EventBus,
    private readonly visitors: AnonymousVisitors,
  ) {}

  @Post('collect')
  @HttpCode(202)
  @RouteConfig({ [BODY_LIMIT_KEY]: COLLECT_MAX_BYTES })
  @ApiOperation({
    summary: 'Events of the browser tracker /t.js (page views, track, identify)',
    description:
      'What /t.js sends, as text/plain (sendBeacon) or application/json. No API key: `site` names the site, and the request stands for ' +
      "that site's public ingestion key (the oldest listing the page's Origin): 401 when the site has none, 403 from an origin none lists; " +
      'open while no key exists. Answers 202 once every valid event is committed; each event id is stored once, so a retry is safe. ' +
      'Events without user_id get the anonymous id of the day (a salted hash of site, address and user agent; the address is not stored). ' +
      `A request from a bot or without a user agent gets the same answer and stores nothing. Invalid events are named in a 400 (the valid ones are stored). At most ${COLLECT_MAX_EVENTS} events, 64 KiB.`,
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['site', 'events'],
      additionalProperties: false,
      properties: {
        site: { type: 'string', minLength: 1, maxLength: 128, description: 'The site (data-site of the script tag).', example: 'shop' },
        sent_at: {
          oneOf: [{ type: 'integer', format: 'int64', minimum: 0, maximum: 253_402_300_799_999 }, { type: 'string', format: 'date-time', maxLength: 35 }],
          description: "The client's clock when it sent this request (refreshed on each retry): corrects every ts.",
        },
        events: { type: 'array', minItems: 1, maxItems: COLLECT_MAX_EVENTS, items: EVENT_SCHEMA },
      },
    },
    examples: { tracker: { value: EXAMPLE } },
  })
  @ApiAcceptedResponse({ type: CollectResponse, description: 'Every event committed (or already stored); or a bot, whose events are not stored.' })
  @ApiProblems(400, 401, 403, 413, 415, 429, 500, 503)
  async collect(@Body() body: unknown, @Req() request: RequestWithKey, @Res({ passthrough: true }) reply: FastifyReply): Promise<CollectResponse> {
    const origin = request.headers.origin;
    // Open (no key, no public key to give CORS): the answer carries no data, and anyone may write
    // anyway; without this the tracker's fetch could not read the answer and would retry.
    if (request.apiKey === null && typeof origin === 'string') void reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
    const read = readCollectRequest(body);
    if (!read.ok) throw new ValidationFailedError(read.errors);
    const { site, sentAt, events } = read.request;
    const userAgent = request.headers['user-agent'];
    const bot = isBrowserBot(userAgent);
    const anonymousId = bot || events.every(hasUserId) ? '' : await this.visitors.idOf(site, request.ip, userAgent!);

    const errors: FieldError[] = [];
    const drafts: Array<{ draft: EventDraft; at: string }> = [];
    events.forEach((event, index) => {
      const at = `events[${index}]`;
      const mapped = mapTrackerEvent(event, { site, sentAt, anonymousId, at });
      if (mapped.ok) drafts.push({ draft: mapped.draft, at });
      else errors.push(...mapped.errors);
    });
    if (bot) {
      if (errors.length > 0) throw new ValidationFailedError(errors);
      this.bus.publish(new BotEventsIgnored(COLLECT_ROUTE, events.length));
      return { status: 'accepted', events: events.length };
    }
    if (drafts.length > 0) {
      const outcomes: RecordOutcome[] = await this.commands.execute(new RecordEventsCommand(drafts.map((d) => d.draft)));
      outcomes.forEach((outcome, index) => {
        if (outcome.status !== 'rejected') return;
        for (const error of outcome.errors) errors.push({ path: `${drafts[index].at}.${NATIVE_TO_TRACKER[error.path] ?? error.path}`, message: error.message });
      });
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return { status: 'accepted', events: events.length };
  }
}

function hasUserId(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as Record<string, unknown>).user_id !== undefined && (event as Record<string, unknown>).user_id !== null;
}
