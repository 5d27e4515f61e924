import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKey, Scope } from '../../domain/api-key';
import { ApiKeyRepository } from '../../domain/api-key.repository';

interface Row {
  id: string;
  name: string;
  scope: Scope;
  created_at: Date;
  revoked_at: Date | null;
}

const toKey = (row: Row): ApiKey => ({ id: row.id, name: row.name, scope: row.scope, createdAt: row.created_at, revokedAt: row.revoked_at });

@Injectable()
export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  async create(key: { id: string; name: string; scope: Scope; secretHash: string }): Promise<ApiKey> {
    const [row]: Row[] = await this.db.query(
      `INSERT INTO api_keys (id, name, scope, secret_hash) VALUES ($1, $2, $3, $4)
       RETURNING id, name, scope, created_at, revoked_at`,
      [key.id, key.name, key.scope, key.secretHash],
    );
    return toKey(row);
  }

  async list(): Promise<ApiKey[]> {
    const rows: Row[] = await this.db.query('SELECT id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, id');
    return rows.map(toKey);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const [, count] = (await this.db.query('UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [id, at])) as [unknown, number];
    return count > 0;
  }

  async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
    const [row]: Row[] = await this.db.query(
      'SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL',
      [secretHash],
    );
    return row ? toKey(row) : null;
  }

  async anyActive(): Promise<boolean> {
    const [row] = await this.db.query('SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL) AS any');
    return row.any;
  }
}
