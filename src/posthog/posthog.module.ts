import { Module } from '@nestjs/common';
import { PosthogController } from './ports/http/posthog.controller';

/** PostHog's capture API (/batch/, /capture/, /e/, /i/v0/e/) mapped onto the native RecordEventsCommand. */
@Module({ controllers: [PosthogController] })
export class PosthogModule {}
