import { applyDecorators, Body, Controller, HttpCode, PayloadTooLargeException, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiSdkErrors } from '../../../shared/http/api-problems';
import { BODY_LIMIT_KEY } from '../../../shared/http/body-limit';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { RecordEventsCommand, RecordOutcome } from '../../../tracking/application/record-events';
import { EventDraft } from '../../../tracking/domain/tracked-event';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { eventsOf, EVENTS_MAX, instantOf, mapEvent } from '../../application/posthog-events';
import { posthogErrors } from './posthog-errors';
import { BODY_MAX_BYTES, PosthogErrorResponse, PosthogSuccessResponse } from './posthog.responses';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Broken JSON or gzip, or invalid events (`errors` names each field; the valid events of the request are stored). posthog-node does not retry it.',
  401: 'No key (`api_key`/`token` in the body, or Bearer/X-API-Key), or an unknown one, once API keys exist.',
  403: 'The key may not record events, or (an ingest key) names another site in `properties.site_id`, or is used from a foreign origin.',
  413: 'Over 5 MiB once decompressed (a gzip bomb is stopped there), or over 1000 events: posthog-node halves its batch and sends again.',
  415: 'Neither JSON, text/plain JSON (gzip or not) nor a base64 form, or compression=lz64.',
  429: 'Rate limit exceeded; see Retry-After (the SDK retries).',
  500: 'An unexpected error (the SDK retries).',
  503: 'The database is unavailable (the SDK retries); see Retry-After.',
};


const EVENT_SCHEMA = {
  type: 'object' as const,
  additionalProperties: true,
  description:
    'A PostHog event. Kept: distinct_id (else properties.distinct_id) as the user; event as the action ($pageview → page_view, $screen → screen_view, ' +
    '$identify/$set → identify, $create_alias → alias, $groupidentify → group, $exception → exception; others as named); timestamp corrected by sent_at ' +
    '(else now − offset); properties.site_id (an ingest key sets it); the path of $current_url (else $pathname); properties as metadata (16 KiB at most; ' +
    'token, distinct_id, site_id and $ip dropped; an exception keeps its first type and message, not its stack); an identify also keeps $set/$set_once; ' +
    'uuid as the idempotency key.',
  properties: {
    event: { type: 'string' as const, maxLength: 100, example: 'order completed' },
    distinct_id: { type: 'string' as const, maxLength: 128, example: 'user-42' },
    uuid: { type: 'string' as const, maxLength: 128, example: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10' },
    timestamp: { type: 'string' as const, format: 'date-time', maxLength: 35 },
    sent_at: { type: 'string' as const, format: 'date-time', maxLength: 35 },
    offset: { type: 'number' as const, description: 'Milliseconds between the event and its sending (used without timestamp + sent_at).' },
    properties: {
      type: 'object' as const,
      additionalProperties: true,
      properties: {
        site_id: { type: 'string' as const, maxLength: 128, description: "Our site; an ingest key's site when made with one." },
        $current_url: { type: 'string' as const, maxLength: 8192, description: 'Its path is stored as the path.' },
        $pathname: { type: 'string' as const, maxLength: 2048 },
      },
    },
    $set: { type: 'object' as const, additionalProperties: true, description: 'Person properties; kept on an identify.' },
    $set_once: { type: 'object' as const, additionalProperties: true },
    api_key: { type: 'string' as const, maxLength: 1024, description: 'The API key (a single event).' },
  },
};

const BODY_SCHEMA = {
  // anyOf: a batch object is also an object with extra fields, as an event is.
  anyOf: [
    {
      type: 'object' as const,
      required: ['batch'],
      additionalProperties: true,
      description: 'A batch (posthog-node, posthog-js).',
      properties: {
        api_key: { type: 'string' as const, maxLength: 1024, description: 'The API key (also `token`).' },
        batch: { type: 'array' as const, items: EVENT_SCHEMA, maxItems: EVENTS_MAX },
        sent_at: { type: 'string' as const, format: 'date-time', maxLength: 35 },
        historical_migration: { type: 'boolean' as const, description: 'Ignored.' },
      },
    },
    { type: 'array' as const, items: EVENT_SCHEMA, maxItems: EVENTS_MAX, description: 'An array of events (older posthog-js; the key in properties.token).' },
    EVENT_SCHEMA,
  ],
};

const EXAMPLE = {
  api_key: 'tsk_…',
  sent_at: '2025-10-20T13:07:01Z',
  batch: [
    { event: 'order completed', distinct_id: 'user-42', properties: { revenue: 42.5, $current_url: 'https://shop.example/checkout?step=2' }, timestamp: '2025-10-20T13:07:00Z', uuid: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10' },
    { event: '$identify', distinct_id: 'user-42', properties: { $set: { plan: 'pro' } }, timestamp: '2025-10-20T13:07:00Z', uuid: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a11' },
  ],
};

const WHO_SENDS: Record<string, string> = {
  batch: 'what posthog-node sends',
  capture: "PostHog's single-event endpoint",
  e: 'what posthog-js sends',
  'i/v0/e': "posthog-js' newer ingestion path",
};

/**
 * One route of the capture API. Nest strips a trailing slash from route paths, but PostHog's
 * SDKs post to `/batch/` and `/e/` and Fastify matches paths exactly: `batch//` comes out as
 * `/batch/` (Nest strips one slash). The path without the slash is served too, as PostHog does.
 */
function CaptureRoute(path: string, slash: boolean): MethodDecorator {
  return applyDecorators(
    Post(slash ? `${path}//` : path),
    HttpCode(200),
    RouteConfig({ [BODY_LIMIT_KEY]: BODY_MAX_BYTES }),
    ApiOperation({
      summary: `PostHog capture: /${path}${slash ? '/' : ''} (${WHO_SENDS[path]})${slash ? '' : ', without the trailing slash'}`,
      description:
        "PostHog's capture API: a batch `{api_key, batch, sent_at}`, an array of events, or one event — on each of /batch/, /capture/, /e/ and /i/v0/e/. " +
        'The key: `api_key` (or `token`) in the body, as the SDKs send it; Bearer or X-API-Key, when sent, win over it. The body: JSON or text/plain JSON, gzip when Content-Encoding: gzip, ' +
        '?compression=gzip-js or its magic bytes say so, or posthog-js\' sendBeacon form (application/x-www-form-urlencoded, data=<base64 of the JSON>); ' +
        'at most 5 MiB once decompressed and 1000 events. Answers 200 `{"status": 1}` once the events are ' +
        'committed; the same uuid again is stored once. Some events invalid: the others are stored and the answer is 400 naming them. No bot filtering here.',
    }),
    ApiQuery({ name: 'compression', required: false, schema: { type: 'string', enum: ['gzip-js', 'gzip', 'base64'] }, description: 'gzip-js/gzip: the body is gzip (what posthog-js once sent); base64: a form data=<base64> (its sendBeacon).' }),
    ApiQuery({ name: 'ver', required: false, schema: { type: 'string', maxLength: 64 }, description: "The SDK's version (posthog-js); ignored." }),
    ApiQuery({ name: '_', required: false, schema: { type: 'string', maxLength: 32 }, description: 'A cache buster (posthog-js); ignored.' }),
    ApiBody({ schema: BODY_SCHEMA, examples: { batch: { value: EXAMPLE } } }),
    ApiOkResponse({ type: PosthogSuccessResponse, description: 'Stored (or already stored).' }),
    ApiSdkErrors(PosthogErrorResponse, ERROR_DESCRIPTIONS),
  );
}

/**
 * PostHog's capture API (what posthog-node and posthog-js send): each event becomes one event
 * through the same RecordEventsCommand as the native routes, so the 200 comes only once it is
 * committed. The key is checked by the global guard (ApiKeyGuard reads it from the body on
 * these routes); gzip bodies are decoded by usePosthogBodies.
 */
@ApiTags('compat: posthog')
@ApiBearerAuth('bearer')
@ApiSecurity('api-key')
@Controller()
@ShapeErrors(posthogErrors)
export class PosthogController {
  constructor(private readonly commands: CommandBus) {}

  @CaptureRoute('batch', true)
  batch(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('batch', false)
  batchNoSlash(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('capture', true)
  capture(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('capture', false)
  captureNoSlash(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('e', true)
  e(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('e', false)
  eNoSlash(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('i/v0/e', true)
  ingest(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  @CaptureRoute('i/v0/e', false)
  ingestNoSlash(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store(body, request);
  }

  /**
   * Maps every event, stores the valid ones in one command (committed before the answer),
   * then answers 200, or 400 naming every invalid event's fields (native errors, such as a
   * time too far ahead, renamed to the PostHog field). Why store the valid ones of a partly
   * invalid request: posthog-node drops a batch answered 400 without retrying, so refusing
   * it whole would lose the good events with the bad; and a retry of the whole request is
   * safe, each uuid being stored once.
   */
  private async store(body: unknown, request: RequestWithKey) {
    const parsed = eventsOf(body);
    if (!parsed.ok) throw new ValidationFailedError(parsed.errors);
    if (parsed.events.length > EVENTS_MAX) throw new PayloadTooLargeException();
    if (parsed.events.length === 0) throw new ValidationFailedError([{ path: parsed.at || 'body', message: 'holds no event' }]);
    const errors: FieldError[] = [];
    const requestSentAt = parsed.sentAt === undefined ? undefined : instantOf({ sent_at: parsed.sentAt }, 'sent_at', (path, message) => errors.push({ path, message }));
    if (errors.length > 0) throw new ValidationFailedError(errors);
    const keyId = request.apiKey?.id ?? null;
    const drafts: Array<{ draft: EventDraft; at: string; timeFrom: string | null }> = [];
    for (const { event, at } of parsed.events) {
      const mapped = mapEvent(event, { requestSentAt, keyId, at });
      if (mapped.ok) drafts.push({ draft: mapped.draft, at, timeFrom: mapped.timeFrom });
      else errors.push(...mapped.errors);
    }
    if (drafts.length > 0) {
      const outcomes: RecordOutcome[] = await this.commands.execute(new RecordEventsCommand(drafts.map((d) => d.draft)));
      outcomes.forEach((outcome, index) => {
        if (outcome.status !== 'rejected') return;
        const { at, timeFrom } = drafts[index];
        for (const error of outcome.errors) {
          const field = error.path === 'timestamp' && timeFrom === 'offset' ? 'offset' : (NATIVE_TO_POSTHOG[error.path] ?? error.path);
          errors.push({ path: `${at}${field}`, message: error.message });
        }
      });
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return { status: 1 };
  }
}

/** The PostHog field behind a native field the domain names in its errors. */
const NATIVE_TO_POSTHOG: Record<string, string> = {
  timestamp: 'timestamp',
  sent_at: 'sent_at',
  user_id: 'distinct_id',
  action: 'event',
  metadata: 'properties',
  site_id: 'properties.site_id',
  path: 'properties.$current_url',
};
