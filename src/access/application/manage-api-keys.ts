import { Command, CommandHandler, ICommandHandler, IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { uuidv7 } from '../../shared/uuid';
import { ApiKey, ApiKeyNotFoundError, hashSecret, InvalidIngestKeyError, isSiteId, newSecret, normalizeOrigin, Scope } from '../domain/api-key';
import { ApiKeyRepository } from '../domain/api-key.repository';

/** Creates a key; the secret is returned this once and only its hash is stored. */
export class CreateApiKeyCommand extends Command<{ key: ApiKey; secret: string }> {
  constructor(
    readonly name: string,
    readonly scope: Scope,
    /** For an `ingest` key: its site, and the origins browsers may use it from (normalized). */
    readonly ingest: { siteId: string; origins: string[] } | null = null,
  ) {
    super();
  }
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, { key: ApiKey; secret: string }> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute({ name, scope, ingest }: CreateApiKeyCommand): Promise<{ key: ApiKey; secret: string }> {
    if ((scope === 'ingest') !== (ingest !== null)) throw new InvalidIngestKeyError(scope === 'ingest' ? 'an ingest key needs a site' : 'only an ingest key has a site and origins');
    if (ingest && !isSiteId(ingest.siteId)) throw new InvalidIngestKeyError('the site must be 1 to 128 characters, without control characters');
    const origins = [...new Set(ingest?.origins ?? [])];
    for (const origin of origins) {
      if (normalizeOrigin(origin) !== origin) throw new InvalidIngestKeyError(`"${origin}" is not a normalized http(s) origin`);
    }
    const secret = newSecret();
    const key = await this.keys.create({ id: uuidv7(), name, scope, secretHash: hashSecret(secret), siteId: ingest?.siteId ?? null, origins });
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
