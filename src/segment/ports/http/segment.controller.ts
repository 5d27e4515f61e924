import { applyDecorators, Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiSecurity, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiSdkErrors } from '../../../shared/http/api-problems';
import { BODY_LIMIT_KEY } from '../../../shared/http/body-limit';
import { ShapeErrors } from '../../../shared/http/error-shape';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { RecordEventsCommand } from '../../../tracking/application/record-events';
import { EventDraft } from '../../../tracking/domain/tracked-event';
import type { RequestWithKey } from '../../../access/ports/http/api-key.guard';
import { BATCH_MAX_BYTES, instantOf, mapMessage, MESSAGE_MAX_BYTES, SegmentType } from '../../application/segment-messages';
import { segmentErrors } from './segment-errors';
import { SegmentErrorResponse, SegmentSuccessResponse } from './segment.responses';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A body over the limits (32 KB a call, 500 KB a batch), broken JSON, or invalid messages (`errors` names each field; in a batch the valid messages are stored).',
  401: 'No write key (Basic user name or `writeKey`), or an unknown one, once API keys exist.',
  403: 'The key may not record events, or (an ingest key) names another site in `context.site_id`, or is used from a foreign origin.',
  415: 'The body is not application/json.',
  429: 'Rate limit exceeded; see Retry-After (the SDK waits and retries).',
  500: 'An unexpected error (the SDK retries).',
  503: 'The database is unavailable (the SDK retries); see Retry-After.',
};


const MESSAGE_SCHEMA = {
  type: 'object' as const,
  additionalProperties: true,
  description:
    'A Segment message. Kept: userId (else anonymousId) as the user, the action, timestamp (else originalTimestamp) corrected by sentAt, ' +
    'context.site_id (an ingest key sets it), context.page.path (a page: also properties.path), properties/traits as metadata (16 KiB at most), ' +
    'messageId as the idempotency key. Dropped: the rest of context, integrations. At most 32 KB.',
  properties: {
    type: { type: 'string' as const, enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'], description: 'Required in a batch; implied by the route otherwise.' },
    messageId: { type: 'string' as const, maxLength: 1024, example: 'node-next-1700000000000-2b0c6bbd-7a5d-4e0c-9f0a-3c5d8e7f1a2b' },
    userId: { type: 'string' as const, maxLength: 128, example: 'user-42' },
    anonymousId: { type: 'string' as const, maxLength: 128, example: '0d8a2c8e-1f3b-4a5c-8e9d-7b6a5c4d3e2f' },
    event: { type: 'string' as const, maxLength: 100, description: 'The action of a track (required there).', example: 'Order Completed' },
    name: { type: 'string' as const, maxLength: 1024, description: 'Page or screen name (kept in metadata).' },
    category: { type: 'string' as const, maxLength: 1024 },
    groupId: { type: 'string' as const, maxLength: 128 },
    previousId: { type: 'string' as const, maxLength: 128 },
    properties: { type: 'object' as const, additionalProperties: true },
    traits: { type: 'object' as const, additionalProperties: true },
    context: {
      type: 'object' as const,
      additionalProperties: true,
      properties: {
        site_id: { type: 'string' as const, maxLength: 128, description: "Our site; an ingest key's site when made with one." },
        page: { type: 'object' as const, additionalProperties: true, properties: { path: { type: 'string' as const, maxLength: 2048 } } },
      },
    },
    integrations: { type: 'object' as const, additionalProperties: true, description: 'Ignored.' },
    timestamp: { type: 'string' as const, format: 'date-time', maxLength: 35 },
    originalTimestamp: { type: 'string' as const, format: 'date-time', maxLength: 35 },
    sentAt: { type: 'string' as const, format: 'date-time', maxLength: 35 },
    writeKey: { type: 'string' as const, maxLength: 1024, description: 'The write key, when not sent as the Basic user name.' },
  },
};

const EXAMPLES: Record<Exclude<SegmentType, never>, Record<string, unknown>> = {
  track: { userId: 'user-42', event: 'Order Completed', properties: { revenue: 42.5 }, context: { page: { path: '/checkout' } }, messageId: 'msg-track-1', timestamp: '2025-10-20T13:07:00Z' },
  identify: { userId: 'user-42', traits: { plan: 'pro' }, messageId: 'msg-identify-1', timestamp: '2025-10-20T13:07:00Z' },
  page: { anonymousId: 'anon-7', name: 'Pricing', properties: { path: '/pricing', title: 'Pricing' }, messageId: 'msg-page-1', timestamp: '2025-10-20T13:07:00Z' },
  screen: { userId: 'user-42', name: 'Home', properties: { tab: 'feed' }, messageId: 'msg-screen-1', timestamp: '2025-10-20T13:07:00Z' },
  group: { userId: 'user-42', groupId: 'acme', traits: { employees: 50 }, messageId: 'msg-group-1', timestamp: '2025-10-20T13:07:00Z' },
  alias: { userId: 'user-42', previousId: 'anon-7', messageId: 'msg-alias-1', timestamp: '2025-10-20T13:07:00Z' },
};

const ACTION_OF: Record<SegmentType, string> = {
  track: 'its `event`',
  identify: '`identify` (traits in metadata)',
  page: '`page_view` (name, category and properties in metadata)',
  screen: '`screen_view` (name, category and properties in metadata)',
  group: '`group` (groupId and traits in metadata)',
  alias: '`alias` (previousId in metadata)',
};

function SingleCall(type: SegmentType): MethodDecorator {
  return applyDecorators(
    Post(type),
    HttpCode(200),
    RouteConfig({ [BODY_LIMIT_KEY]: MESSAGE_MAX_BYTES }),
    ApiOperation({
      summary: `Segment ${type}: one message, stored as action ${ACTION_OF[type]}`,
      description:
        "Segment's HTTP Tracking API. Authenticate with HTTP Basic (the API key as user name, empty password) or `writeKey` in the body. " +
        'Answers 200 `{"success": true}` once the event is committed; the same messageId again is stored once. At most 32 KB.',
    }),
    ApiBody({ schema: MESSAGE_SCHEMA, examples: { [type]: { value: EXAMPLES[type] } } }),
    ApiOkResponse({ type: SegmentSuccessResponse, description: 'Stored (or already stored).' }),
    ApiSdkErrors(SegmentErrorResponse, ERROR_DESCRIPTIONS),
  );
}

/**
 * Segment's HTTP Tracking API (what analytics-node and the other Segment libraries send):
 * each message becomes one event through the same RecordEventsCommand as the native routes,
 * so the 200 comes only once it is committed. The write key is checked by the global guard
 * (ApiKeyGuard reads it from Basic auth or the body on these routes).
 */
@ApiTags('compat: segment')
@ApiBasicAuth('segment-write-key')
@ApiBearerAuth('bearer')
@ApiSecurity('api-key')
@Controller('v1')
@ShapeErrors(segmentErrors)
export class SegmentController {
  constructor(private readonly commands: CommandBus) {}

  @Post('batch')
  @HttpCode(200)
  @RouteConfig({ [BODY_LIMIT_KEY]: BATCH_MAX_BYTES })
  @ApiOperation({
    summary: 'Segment batch: many messages of any type (what the SDKs send)',
    description:
      "Segment's HTTP Tracking API batch (analytics-node posts here). Each message is mapped like its single route; `sentAt` of the batch corrects the clocks. " +
      'Valid messages are stored, each once per messageId; if some are invalid the answer is 400 naming them (the SDK does not retry a 400, and a manual retry of the whole batch is safe). ' +
      'At most 500 KB, 32 KB per message.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['batch'],
      additionalProperties: true,
      properties: {
        batch: { type: 'array', items: MESSAGE_SCHEMA, maxItems: 100_000 },
        sentAt: { type: 'string', format: 'date-time', maxLength: 35 },
        context: { type: 'object', additionalProperties: true, description: "Merged into each message's context (the message's own fields win)." },
        writeKey: { type: 'string', maxLength: 1024 },
      },
    },
    examples: {
      batch: {
        value: { batch: [{ type: 'track', ...EXAMPLES.track }, { type: 'identify', ...EXAMPLES.identify }], sentAt: '2025-10-20T13:07:01Z' },
      },
    },
  })
  @ApiOkResponse({ type: SegmentSuccessResponse, description: 'Every message stored (or already stored).' })
  @ApiSdkErrors(SegmentErrorResponse, ERROR_DESCRIPTIONS)
  async batch(@Body() body: unknown, @Req() request: RequestWithKey) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationFailedError([{ path: 'body', message: 'must be a JSON object with a batch array' }]);
    const { batch, context } = body as Record<string, unknown>;
    if (!Array.isArray(batch)) throw new ValidationFailedError([{ path: 'batch', message: 'is required: an array of messages' }]);
    const errors: FieldError[] = [];
    // Segment's batch may carry a context for all its messages; a message's own fields win.
    if (context !== undefined && context !== null) {
      if (typeof context !== 'object' || Array.isArray(context)) throw new ValidationFailedError([{ path: 'context', message: 'must be an object' }]);
      for (const message of batch) {
        if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
          const own = (message as Record<string, unknown>).context;
          if (own === undefined || own === null || (typeof own === 'object' && !Array.isArray(own))) (message as Record<string, unknown>).context = { ...(context as object), ...((own as object) ?? {}) };
        }
      }
    }
    const batchSentAt = instantOf(body as Record<string, unknown>, 'sentAt', (path, message) => errors.push({ path, message }));
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return this.store(batch.map((message, index) => ({ message, at: `batch[${index}].` })), null, batchSentAt, request);
  }

  @SingleCall('track')
  track(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'track', undefined, request);
  }

  @SingleCall('identify')
  identify(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'identify', undefined, request);
  }

  @SingleCall('page')
  page(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'page', undefined, request);
  }

  @SingleCall('screen')
  screen(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'screen', undefined, request);
  }

  @SingleCall('group')
  group(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'group', undefined, request);
  }

  @SingleCall('alias')
  alias(@Body() body: unknown, @Req() request: RequestWithKey) {
    return this.store([{ message: body, at: '' }], 'alias', undefined, request);
  }

  /**
   * Maps every message, stores the valid ones in one command (committed before the answer),
   * then answers 200, or 400 naming every invalid message's fields (native errors, such as a
   * time too far ahead, renamed to the Segment field).
   */
  private async store(messages: Array<{ message: unknown; at: string }>, routeType: SegmentType | null, batchSentAt: Date | undefined, request: RequestWithKey) {
    const keyId = request.apiKey?.id ?? null;
    const errors: FieldError[] = [];
    const drafts: Array<{ draft: EventDraft; at: string }> = [];
    for (const { message, at } of messages) {
      const mapped = mapMessage(message, { routeType, batchSentAt, keyId, at });
      if (mapped.ok) drafts.push({ draft: mapped.draft, at });
      else errors.push(...mapped.errors);
    }
    if (drafts.length > 0) {
      const outcomes = await this.commands.execute(new RecordEventsCommand(drafts.map((d) => d.draft)));
      outcomes.forEach((outcome: { status: string; errors?: FieldError[] }, index: number) => {
        if (outcome.status !== 'rejected') return;
        for (const error of outcome.errors ?? []) errors.push({ path: `${drafts[index].at}${NATIVE_TO_SEGMENT[error.path] ?? error.path}`, message: error.message });
      });
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return { success: true };
  }
}

/** The Segment field behind a native field the domain names in its errors. */
const NATIVE_TO_SEGMENT: Record<string, string> = {
  timestamp: 'timestamp',
  sent_at: 'sentAt',
  user_id: 'userId',
  action: 'event',
  metadata: 'properties',
  site_id: 'context.site_id',
  path: 'context.page.path',
};
