import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../../config';
import { isUuid } from '../../../shared/uuid';
import { ApiKeyChange, ApiKeyChanges } from '../../application/api-key-changes';

/** The channel the key store NOTIFYs `revoked:<id>` and `created:<id>` on (see TypeOrmApiKeyRepository). */
export const API_KEYS_CHANNEL = 'tracking_api_keys';
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export function parseApiKeyChange(payload: string | undefined): ApiKeyChange {
  const [kind, id] = (payload ?? '').split(':');
  if ((kind === 'revoked' || kind === 'created') && id !== undefined && isUuid(id)) return { kind, id };
  return { kind: 'unknown' };
}

/**
 * Key changes over PostgreSQL LISTEN/NOTIFY: one dedicated connection per process (a plain pg
 * Client outside the pool, since a LISTEN belongs to its session), opened by the first request
 * that needs a key decision. The NOTIFY is sent by the revoking statement itself, so it goes
 * out exactly when the revocation commits, whichever process or CLI made it.
 *
 * Whenever the connection is (re)established, changes may have been missed meanwhile: the
 * listener hears `unknown` and drops its whole cache. While it is down, the cache's
 * KEY_CACHE_MS bounds how long a revoked key keeps working.
 */
export class PgApiKeyChanges extends ApiKeyChanges implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Access');
  private listener?: (change: ApiKeyChange) => void;
  private client?: Client;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelay = RECONNECT_MIN_MS;
  private closed = false;

  constructor(private readonly connectionString: string) {
    super();
  }

  static fromConfig(config: AppConfig): PgApiKeyChanges {
    return new PgApiKeyChanges(config.databaseUrl!);
  }

  watch(listener: (change: ApiKeyChange) => void): void {
    if (this.listener || this.closed) return;
    this.listener = listener;
    void this.connect();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: 3000,
      application_name: 'tracking-service keys',
      // A connection that died silently is noticed within about a minute; the cache TTL covers the gap.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === API_KEYS_CHANNEL) this.listener?.(parseApiKeyChange(message.payload));
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEYS_CHANNEL}`);
    } catch (error) {
      this.lost(client, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.client !== client) return;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Whatever changed before this LISTEN took effect was not heard.
    this.listener?.({ kind: 'unknown' });
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`the key changes connection dropped${error ? `: ${error.message}` : ''}; revoked keys are refused within the cache time until it is back`);
    this.listener?.({ kind: 'unknown' });
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
