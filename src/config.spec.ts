import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      embeddedPgPort: 54329,
      metricsCron: '0 1 */4 * * *',
      metricsCronEnabled: true,
      logLevel: 'info',
      requireApiKeys: false,
      corsOrigins: [],
      writeQueueMaxEvents: 50_000,
      authFailureLimit: 20,
      openWriteRoutes: [],
      trustProxy: false,
      liveMaxClients: 100,
      liveHeartbeatMs: 15_000,
      liveMaxBufferBytes: 1024 * 1024,
      exportMaxConcurrent: 4,
      exportStallTimeoutMs: 60_000,
      erasureHashKey: undefined,
      defaultTimeZone: 'UTC',
    });
    expect(config.embeddedPgDir).toMatch(/\.data\/postgres$/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      EMBEDDED_PG_DIR: '/tmp/pg',
      EMBEDDED_PG_PORT: '5555',
      METRICS_CRON: '0 */5 * * * *',
      METRICS_CRON_ENABLED: 'false',
      LOG_LEVEL: 'debug',
      REQUIRE_API_KEYS: 'true',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:3000',
      WRITE_QUEUE_MAX_EVENTS: '500',
      AUTH_FAILURE_LIMIT: '0',
      OPEN_WRITE_ROUTES: 'POST /event, post /v1/user/login/ ,POST  /api/ingestion/event,POST /event',
      LIVE_MAX_CLIENTS: '3',
      LIVE_HEARTBEAT_MS: '250',
      LIVE_MAX_BUFFER_BYTES: '65536',
      EXPORT_MAX_CONCURRENT: '2',
      EXPORT_STALL_TIMEOUT_MS: '1500',
      ERASURE_HASH_KEY: '0123456789abcdef0123456789abcdef',
      DEFAULT_TZ: 'asia/jakarta',
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://u:p@db:5432/x',
      embeddedPgDir: '/tmp/pg',
      embeddedPgPort: 5555,
      metricsCron: '0 */5 * * * *',
      metricsCronEnabled: false,
      logLevel: 'debug',
      requireApiKeys: true,
      corsOrigins: ['https://a.example.com', 'http://localhost:3000'],
      writeQueueMaxEvents: 500,
      authFailureLimit: 0,
      openWriteRoutes: ['POST /event', 'POST /v1/user/login', 'POST /api/ingestion/event'],
      liveMaxClients: 3,
      liveHeartbeatMs: 250,
      liveMaxBufferBytes: 65536,
      exportMaxConcurrent: 2,
      exportStallTimeoutMs: 1500,
      erasureHashKey: '0123456789abcdef0123456789abcdef',
      defaultTimeZone: 'Asia/Jakarta',
    });
  });

  it('refuses a DEFAULT_TZ that is no IANA time zone', () => {
    expect(() => loadConfig({ DEFAULT_TZ: 'Mars/Olympus' })).toThrow(/DEFAULT_TZ must be an IANA time zone name .*Mars\/Olympus/);
    expect(loadConfig({ DEFAULT_TZ: 'Asia/Kathmandu' }).defaultTimeZone).toBe('Asia/Kathmandu');
  });

  it('refuses an ERASURE_HASH_KEY shorter than 32 bytes without echoing it', () => {
    expect(() => loadConfig({ ERASURE_HASH_KEY: 'short-secret' })).toThrow(/ERASURE_HASH_KEY must be at least 32 bytes/);
    expect(() => loadConfig({ ERASURE_HASH_KEY: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('refuses OPEN_WRITE_ROUTES entries that are not compatibility write routes, naming the variable', () => {
    for (const entry of ['GET /stats', 'POST /api/event', 'POST /api/events/batch', 'POST /nothing', '/event', 'POST /event now', 'PUT /event']) {
      let error: unknown;
      try {
        loadConfig({ OPEN_WRITE_ROUTES: `POST /event,${entry}` });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringContaining(`OPEN_WRITE_ROUTES may list only compatibility write routes`)]);
      expect((error as ConfigError).problems[0]).toContain(`(got "${entry}")`);
    }
    expect(() => loadConfig({ AUTH_FAILURE_LIMIT: '-1' })).toThrow(/AUTH_FAILURE_LIMIT/);
  });

  it('reads TRUST_PROXY as a boolean, a number of hops or proxy addresses, and refuses anything else', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'FALSE' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1, fd00::/8' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    for (const bad of ['yes', '0', '10.0.0.0/33', '10.0.0/8', 'proxy.local', '1.2.3.4/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be/);
    }
  });

  it('names every bad variable at once and never echoes the database URL', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        EMBEDDED_PG_PORT: '70000',
        METRICS_CRON_ENABLED: 'maybe',
        LOG_LEVEL: 'loud',
        METRICS_CRON: 'every day',
        DATABASE_URL: 'mysql://user:secret@db/x',
        CORS_ORIGINS: 'not an origin',
        WRITE_QUEUE_MAX_EVENTS: '0',
        LIVE_MAX_CLIENTS: '0',
        LIVE_HEARTBEAT_MS: 'soon',
        LIVE_MAX_BUFFER_BYTES: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'EMBEDDED_PG_PORT', 'METRICS_CRON_ENABLED', 'LOG_LEVEL', 'METRICS_CRON', 'DATABASE_URL', 'CORS_ORIGINS', 'WRITE_QUEUE_MAX_EVENTS', 'LIVE_MAX_CLIENTS', 'LIVE_HEARTBEAT_MS', 'LIVE_MAX_BUFFER_BYTES']) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(11);
    expect(message).not.toContain('secret');
  });

  it('reads DATABASE_READ_URLS, READ_MAX_LAG_MS and READ_CHECK_INTERVAL_MS, with defaults when unset', () => {
    expect(loadConfig({})).toMatchObject({ databaseReadUrls: [], readMaxLagMs: 5000, readCheckIntervalMs: 1000 });
    const config = loadConfig({
      DATABASE_READ_URLS: ' postgres://u:p@replica1:5432/x ,, postgresql://replica2/x ',
      READ_MAX_LAG_MS: '750',
      READ_CHECK_INTERVAL_MS: '200',
    });
    expect(config).toMatchObject({
      databaseReadUrls: ['postgres://u:p@replica1:5432/x', 'postgresql://replica2/x'],
      readMaxLagMs: 750,
      readCheckIntervalMs: 200,
    });
  });

  it('reads CITUS_CACHED_CONNECTIONS (16 by default) and refuses a value that is not a positive integer', () => {
    expect(loadConfig({}).citusCachedConnections).toBe(16);
    expect(loadConfig({ CITUS_CACHED_CONNECTIONS: '64' }).citusCachedConnections).toBe(64);
    expect(() => loadConfig({ CITUS_CACHED_CONNECTIONS: '0' })).toThrow(/CITUS_CACHED_CONNECTIONS/);
  });

  it('refuses a bad DATABASE_READ_URLS entry by its position, naming the variable without echoing it', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_READ_URLS: 'postgres://u:p@ok/x, mysql://user:secret@db/x, postgres://', READ_MAX_LAG_MS: '0', READ_CHECK_INTERVAL_MS: 'often' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_READ_URLS entry 2 of 3 must be a postgres/),
      expect.stringMatching(/^DATABASE_READ_URLS entry 3 of 3 must be a postgres/),
      expect.stringMatching(/^READ_MAX_LAG_MS must be a positive integer/),
      expect.stringMatching(/^READ_CHECK_INTERVAL_MS must be a positive integer/),
    ]);
    expect(message).not.toContain('secret');
  });
});
