import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { timeZoneOf } from './shared/time-zone';

/** CITUS_CACHED_CONNECTIONS' default: the shards per worker with Citus' default 32 shards on 2 workers. */
export const DEFAULT_CITUS_CACHED_CONNECTIONS = 16;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * The compatibility write routes OPEN_WRITE_ROUTES may leave open (their seed clients cannot
 * send a key). Native routes and reads always need a key once keys are required.
 */
export const OPENABLE_WRITE_ROUTES = ['POST /event', 'POST /api/ingestion/event', 'POST /v1/user/login'] as const;
export type OpenableWriteRoute = (typeof OPENABLE_WRITE_ROUTES)[number];

/**
 * The one typed configuration of the service. It is parsed once, before Nest boots,
 * because the embedded database and the HTTP port must be known before any module
 * exists; every module receives it by injection (the class is the token).
 */
export class AppConfig {
  readonly port!: number;
  /** Set when the operator points us at a server; when absent an embedded PostgreSQL runs. */
  readonly databaseUrl!: string | undefined;
  readonly embeddedPgDir!: string;
  readonly embeddedPgPort!: number;
  readonly metricsCron!: string;
  readonly metricsCronEnabled!: boolean;
  readonly logLevel!: LogLevel;
  readonly requireApiKeys!: boolean;
  readonly corsOrigins!: string[];
  /** Apply pending migrations when the service starts. */
  readonly migrateOnStart!: boolean;
  /** Events accepted but not yet committed, at most; beyond, writes get 503 (backpressure). */
  readonly writeQueueMaxEvents!: number;
  /** Requests per second per API key (per client address while open), by the route's scope; 0 = unlimited. */
  readonly rateLimits!: { read: number; write: number; admin: number };
  /** Failed authentications (unknown or revoked key) per minute per client address; beyond, 429. 0 = no limit. */
  readonly authFailureLimit!: number;
  /** Compatibility write routes served without a key (rate-limited per client address), as "POST /event". */
  readonly openWriteRoutes!: OpenableWriteRoute[];
  /** Serve the web dashboard at `/` (when it is built). */
  readonly dashboardEnabled!: boolean;
  /** Days of events kept (whole weekly partitions are dropped past it); null keeps them all. */
  readonly eventsRetentionDays!: number | null;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (rate limits, the
   * failed-authentication budget): false = none, true = all, a number of hops, or addresses/CIDRs.
   */
  readonly trustProxy!: boolean | number | string[];
  /** Open streams of GET /api/events/live per process, at most; beyond, 503 + Retry-After. */
  readonly liveMaxClients!: number;
  /** Milliseconds between the heartbeat comments of a live stream. */
  readonly liveHeartbeatMs!: number;
  /** Bytes a live stream may hold unsent for a client that does not read; beyond, the stream is closed. */
  readonly liveMaxBufferBytes!: number;
  /** Exports (GET …/export) streaming at once per process, at most (each holds a database connection); beyond, 503 + Retry-After. */
  readonly exportMaxConcurrent!: number;
  /** An export whose client reads nothing for this many milliseconds is cut (its connection released). */
  readonly exportStallTimeoutMs!: number;
  /** Streaming replicas of the database that serve the read routes (DATABASE_READ_URLS); empty = the primary serves everything. */
  readonly databaseReadUrls!: string[];
  /** A replica further behind the primary than this many milliseconds is skipped until it catches up. */
  readonly readMaxLagMs!: number;
  /** On Citus: connections each service connection keeps open to each worker (citus.max_cached_conns_per_worker). */
  readonly citusCachedConnections!: number;
  /** Milliseconds between two measurements of every replica's health and lag. */
  readonly readCheckIntervalMs!: number;
  /**
   * Secret key of the HMAC-SHA-256 that identifies an erased user in the erasure record. Unset:
   * the record names no user at all (a plain hash of a guessable id could be reversed).
   */
  readonly erasureHashKey!: string | undefined;
  /** The IANA time zone whose local days, weeks and months analytics answers use when a request names none (DEFAULT_TZ). */
  readonly defaultTimeZone!: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const port = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
      problems.push(`${name} must be a port number between 1 and 65535 (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const positive = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
      problems.push(`${name} must be a positive integer (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const count = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number, 0 for no limit (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    // Never echo the value: it may hold a password.
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const databaseReadUrls = (read('DATABASE_READ_URLS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  databaseReadUrls.forEach((entry, i) => {
    // Never echo the value: it may hold a password. Name the entry by its position instead.
    if (!isPostgresUrl(entry)) {
      problems.push(`DATABASE_READ_URLS entry ${i + 1} of ${databaseReadUrls.length} must be a postgres:// or postgresql:// URL with a host`);
    }
  });

  const metricsCron = read('METRICS_CRON') ?? '0 1 */4 * * *';
  if (!isCronExpression(metricsCron)) {
    problems.push(
      `METRICS_CRON must be a cron expression with 6 fields, seconds first (got "${metricsCron}")`,
    );
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const corsOrigins = (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`CORS_ORIGINS entries must be origins like https://app.example.com (got "${origin}")`);
    }
  }

  const openWriteRoutes: OpenableWriteRoute[] = [];
  for (const entry of (read('OPEN_WRITE_ROUTES') ?? '').split(',')) {
    const route = entry.trim().replace(/\s+/g, ' ');
    if (route === '') continue;
    // "post /event/" is "POST /event": the method in any case, a trailing slash ignored.
    const parts = route.split(' ');
    const normalised = parts.length === 2 ? `${parts[0].toUpperCase()} ${parts[1].replace(/(.)\/$/, '$1')}` : route;
    const known = OPENABLE_WRITE_ROUTES.find((r) => r === normalised);
    if (!known) {
      problems.push(
        `OPEN_WRITE_ROUTES may list only compatibility write routes: ${OPENABLE_WRITE_ROUTES.join(', ')} (got "${route}")`,
      );
    } else if (!openWriteRoutes.includes(known)) openWriteRoutes.push(known);
  }

  let trustProxy: boolean | number | string[] = false;
  const rawTrust = read('TRUST_PROXY');
  if (rawTrust !== undefined) {
    if (/^(true|false)$/i.test(rawTrust)) trustProxy = rawTrust.toLowerCase() === 'true';
    else if (/^\d{1,2}$/.test(rawTrust) && Number(rawTrust) >= 1) trustProxy = Number(rawTrust);
    else {
      const entries = rawTrust.split(',').map((e) => e.trim()).filter(Boolean);
      const bad = entries.filter((e) => {
        const [address, prefix, extra] = e.split('/');
        const family = isIP(address);
        const bits = family === 4 ? 32 : 128;
        return family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits));
      });
      if (bad.length > 0 || entries.length === 0) {
        problems.push(`TRUST_PROXY must be true, false, a number of proxy hops (1-99), or proxy addresses/CIDRs like 10.0.0.0/8 (got "${rawTrust}")`);
      } else trustProxy = entries;
    }
  }

  // Never echo the value: it is a secret.
  const erasureHashKey = read('ERASURE_HASH_KEY');
  if (erasureHashKey !== undefined && Buffer.byteLength(erasureHashKey, 'utf8') < 32) {
    problems.push('ERASURE_HASH_KEY must be at least 32 bytes long (e.g. openssl rand -hex 32)');
  }

  const rawTimeZone = read('DEFAULT_TZ') ?? 'UTC';
  const defaultTimeZone = timeZoneOf(rawTimeZone);
  if (defaultTimeZone === null) {
    problems.push(`DEFAULT_TZ must be an IANA time zone name such as Europe/Berlin or UTC (got "${rawTimeZone}")`);
  }

  const config: AppConfig = {
    port: port('PORT', 8080),
    databaseUrl,
    embeddedPgDir: resolve(read('EMBEDDED_PG_DIR') ?? './.data/postgres'),
    embeddedPgPort: port('EMBEDDED_PG_PORT', 54329),
    metricsCron,
    metricsCronEnabled: bool('METRICS_CRON_ENABLED', true),
    logLevel,
    requireApiKeys: bool('REQUIRE_API_KEYS', false),
    corsOrigins,
    migrateOnStart: bool('MIGRATE_ON_START', true),
    writeQueueMaxEvents: positive('WRITE_QUEUE_MAX_EVENTS', 50_000),
    rateLimits: {
      read: count('RATE_LIMIT_READ', 100),
      write: count('RATE_LIMIT_WRITE', 1000),
      admin: count('RATE_LIMIT_ADMIN', 10),
    },
    authFailureLimit: count('AUTH_FAILURE_LIMIT', 20),
    openWriteRoutes,
    trustProxy,
    liveMaxClients: positive('LIVE_MAX_CLIENTS', 100),
    liveHeartbeatMs: positive('LIVE_HEARTBEAT_MS', 15_000),
    liveMaxBufferBytes: positive('LIVE_MAX_BUFFER_BYTES', 1024 * 1024),
    exportMaxConcurrent: positive('EXPORT_MAX_CONCURRENT', 4),
    exportStallTimeoutMs: positive('EXPORT_STALL_TIMEOUT_MS', 60_000),
    dashboardEnabled: bool('DASHBOARD_ENABLED', true),
    eventsRetentionDays: count('EVENTS_RETENTION_DAYS', 0) || null,
    databaseReadUrls,
    readMaxLagMs: positive('READ_MAX_LAG_MS', 5000),
    readCheckIntervalMs: positive('READ_CHECK_INTERVAL_MS', 1000),
    citusCachedConnections: positive('CITUS_CACHED_CONNECTIONS', DEFAULT_CITUS_CACHED_CONNECTIONS),
    erasureHashKey,
    defaultTimeZone: defaultTimeZone ?? 'UTC',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A postgres:// or postgresql:// URL that parses and names a host. */
function isPostgresUrl(value: string): boolean {
  if (!/^postgres(ql)?:\/\/.+/.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

/** Six fields (seconds first) of digits, ranges, steps, lists, names or `*`/`?`. */
function isCronExpression(expression: string): boolean {
  const fields = expression.split(/\s+/);
  return fields.length === 6 && fields.every((field) => /^[\d*?,/\-A-Za-z]+$/.test(field));
}
