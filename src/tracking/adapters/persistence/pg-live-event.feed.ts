import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../../config';
import { isDatabaseUnavailable } from '../../../shared/database/database-errors';
import { DatabaseUnavailableError } from '../../../shared/errors';
import { isUuid } from '../../../shared/uuid';
import { LiveEventFeed, LiveSubscriber } from '../../application/live-event-feed';
import { EventRepository } from '../../domain/event.repository';
import { TrackedEvent } from '../../domain/tracked-event';
import { LIVE_CHANNEL } from './live-notify.projection';

/** Events loaded per query while catching up with notifications. */
const LOAD_BATCH = 1000;
/**
 * Events handed to subscribers at once. Between slices the event loop turns, so sockets flush
 * to clients that read: a burst does not pile up in the buffers of fast readers (whose bound,
 * LIVE_MAX_BUFFER_BYTES, is for clients that read too slowly, not for one large commit).
 */
const DELIVER_SLICE = 100;
/** Ids announced and not yet loaded, at most; beyond, the feed has fallen behind. */
const MAX_PENDING_IDS = 50_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export interface PgLiveEventFeedOptions {
  connectionString: string;
  connectionTimeoutMillis?: number;
}

/**
 * The live feed on PostgreSQL LISTEN/NOTIFY: one dedicated connection per process (a plain
 * pg Client, outside the pool, since a LISTEN belongs to its session), opened when the first
 * client subscribes — a process nobody watches never opens it. Each notification carries the
 * ids of events a write committed (see LIVE_NOTIFY_PROJECTION); they are loaded once, by
 * primary key, and handed to every subscriber, who filter them.
 *
 * When the connection drops (or loading fails, or the feed falls behind) events may have been
 * missed: every subscriber is interrupted, so its client reconnects and catches up, and the
 * connection is re-established in the background with backoff.
 */
export class PgLiveEventFeed extends LiveEventFeed implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveEvents');
  private readonly subscribed = new Set<LiveSubscriber>();
  private client?: Client;
  private connecting?: Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelay = RECONNECT_MIN_MS;
  private pending: string[] = [];
  private loading = false;
  private closed = false;

  constructor(
    private readonly events: EventRepository,
    private readonly options: PgLiveEventFeedOptions,
  ) {
    super();
  }

  static fromConfig(events: EventRepository, config: AppConfig): PgLiveEventFeed {
    return new PgLiveEventFeed(events, { connectionString: config.databaseUrl! });
  }

  get subscribers(): number {
    return this.subscribed.size;
  }

  async subscribe(subscriber: LiveSubscriber): Promise<() => void> {
    if (this.closed) throw new DatabaseUnavailableError();
    try {
      await this.listen();
    } catch (error) {
      throw isDatabaseUnavailable(error) || this.closed ? new DatabaseUnavailableError() : error;
    }
    this.subscribed.add(subscriber);
    return () => void this.subscribed.delete(subscriber);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.interruptAll();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private listen(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: this.options.connectionTimeoutMillis ?? 3000,
      application_name: 'tracking-service live',
      // A connection that died silently (a dropped NAT entry) is noticed within about a minute.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === LIVE_CHANNEL && message.payload) this.announced(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new DatabaseUnavailableError();
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`the live events connection dropped${error ? `: ${error.message}` : ''}; reconnecting`);
    this.interruptAll();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().catch(() => this.scheduleReconnect());
    }, delay);
    this.reconnectTimer.unref();
  }

  private announced(payload: string): void {
    // Nobody here watches: nothing to load (the notification itself cost the writer nothing more).
    if (this.subscribed.size === 0) return;
    for (const id of payload.split(',')) if (isUuid(id)) this.pending.push(id);
    if (this.pending.length > MAX_PENDING_IDS) {
      this.logger.warn(`the live feed fell ${this.pending.length} events behind; its streams restart`);
      this.pending = [];
      this.interruptAll();
      return;
    }
    if (!this.loading) void this.load();
  }

  /** Loads the announced events in order of announcement, batching what piled up meanwhile. */
  private async load(): Promise<void> {
    this.loading = true;
    try {
      while (this.pending.length > 0 && this.subscribed.size > 0) {
        const ids = this.pending.splice(0, LOAD_BATCH);
        let events: TrackedEvent[];
        try {
          events = await this.events.findByIds(ids);
        } catch (error) {
          this.logger.warn(`could not load announced events: ${error instanceof Error ? error.message : String(error)}`);
          this.pending = [];
          this.interruptAll();
          return;
        }
        const position = new Map(ids.map((id, index) => [id, index]));
        events.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
        for (let start = 0; start < events.length && this.subscribed.size > 0; start += DELIVER_SLICE) {
          if (start > 0) await new Promise((resolve) => setImmediate(resolve));
          const slice = events.slice(start, start + DELIVER_SLICE);
          for (const subscriber of [...this.subscribed]) subscriber.deliver(slice);
        }
      }
      this.pending = [];
    } finally {
      this.loading = false;
    }
  }

  private interruptAll(): void {
    const subscribers = [...this.subscribed];
    this.subscribed.clear();
    for (const subscriber of subscribers) subscriber.interrupt();
  }
}
