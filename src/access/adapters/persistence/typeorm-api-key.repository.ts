import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKey, Scope } from '../../domain/api-key';
import { ApiKeyRepository, NewApiKey } from '../../domain/api-key.repository';
import { API_KEYS_CHANNEL } from './pg-api-key-changes';

interface Row {
  id: string;
  name: string;
  scope: Scope;
  site_id: string | null;
  origins: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const toKey = (row: Row): ApiKey => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  siteId: row.site_id,
  origins: row.origins,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});
const COLUMNS = 'id, name, scope, site_id, origins, created_at, revoked_at';

@Injectable()
export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  async create(key: NewApiKey): Promise<ApiKey> {
    // The NOTIFY goes out with the commit: every process re-reads whether a key exists (open mode ends).
    const [row]: Row[] = await this.db.query(
      `WITH created AS (
         INSERT INTO api_keys (id, name, scope, secret_hash, site_id, origins) VALUES ($1, $2, $3, $4, $5, $6::text[])
         RETURNING ${COLUMNS})
       SELECT created.*, pg_notify('${API_KEYS_CHANNEL}', 'created:' || created.id)::text AS notified FROM created`,
      [key.id, key.name, key.scope, key.secretHash, key.siteId, key.origins],
    );
    return toKey(row);
  }

  async list(): Promise<ApiKey[]> {
    const rows: Row[] = await this.db.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
    return rows.map(toKey);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    // The NOTIFY is part of the revoking statement, so it goes out exactly when (and only if) the
    // revocation commits: every process drops the key from its cache then (PgApiKeyChanges).
    const rows: unknown[] = await this.db.query(
      `WITH revoked AS (UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING id)
       SELECT pg_notify('${API_KEYS_CHANNEL}', 'revoked:' || id)::text AS notified FROM revoked`,
      [id, at],
    );
    return rows.length > 0;
  }

  async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
    const [row]: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [secretHash],
    );
    return row ? toKey(row) : null;
  }

  async anyActive(): Promise<boolean> {
    const [row] = await this.db.query('SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL) AS any');
    return row.any;
  }

  async activeIngestKeys(): Promise<ApiKey[]> {
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE scope = 'ingest' AND revoked_at IS NULL ORDER BY created_at, id`,
    );
    return rows.map(toKey);
  }
}
