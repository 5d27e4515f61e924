import { Command, CommandHandler, ICommandHandler, IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { uuidv7 } from '../../shared/uuid';
import { ApiKey, ApiKeyNotFoundError, hashSecret, newSecret, Scope } from '../domain/api-key';
import { ApiKeyRepository } from '../domain/api-key.repository';

/** Creates a key; the secret is returned this once and only its hash is stored. */
export class CreateApiKeyCommand extends Command<{ key: ApiKey; secret: string }> {
  constructor(
    readonly name: string,
    readonly scope: Scope,
  ) {
    super();
  }
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, { key: ApiKey; secret: string }> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute({ name, scope }: CreateApiKeyCommand): Promise<{ key: ApiKey; secret: string }> {
    const secret = newSecret();
    const key = await this.keys.create({ id: uuidv7(), name, scope, secretHash: hashSecret(secret) });
    return { key, secret };
  }
}

export class ListApiKeysQuery extends Query<ApiKey[]> {}

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery, ApiKey[]> {
  constructor(private readonly keys: ApiKeyRepository) {}

  execute(): Promise<ApiKey[]> {
    return this.keys.list();
  }
}

export class RevokeApiKeyCommand extends Command<void> {
  constructor(readonly id: string) {
    super();
  }
}

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand, void> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute({ id }: RevokeApiKeyCommand): Promise<void> {
    if (!(await this.keys.revoke(id, new Date()))) throw new ApiKeyNotFoundError(id);
  }
}
