import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { TypeOrmApiKeyRepository } from './adapters/persistence/typeorm-api-key.repository';
import { PgApiKeyChanges } from './adapters/persistence/pg-api-key-changes';
import { ApiKeyChanges } from './application/api-key-changes';
import { AppConfig } from '../config';
import { ApiKeyAuthenticator } from './application/api-key-authenticator';
import { CreateApiKeyHandler, ListApiKeysHandler, RevokeApiKeyHandler } from './application/manage-api-keys';
import { ApiKeyRepository } from './domain/api-key.repository';
import { AccessController } from './ports/http/access.controller';
import { ApiKeyGuard } from './ports/http/api-key.guard';

/** API keys with scopes and rate limits: the CLI manages keys, a global guard enforces both on every route. */
@Module({
  controllers: [AccessController],
  providers: [
    CreateApiKeyHandler,
    ListApiKeysHandler,
    RevokeApiKeyHandler,
    ApiKeyAuthenticator,
    ThrottlerStorageService,
    { provide: ApiKeyRepository, useClass: TypeOrmApiKeyRepository },
    // Revocations reach every process on the database at once (LISTEN/NOTIFY), opened by the first request.
    { provide: ApiKeyChanges, useFactory: PgApiKeyChanges.fromConfig, inject: [AppConfig] },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [ApiKeyAuthenticator],
})
export class AccessModule {}
