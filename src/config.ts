import { resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

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
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Six fields (seconds first) of digits, ranges, steps, lists, names or `*`/`?`. */
function isCronExpression(expression: string): boolean {
  const fields = expression.split(/\s+/);
  return fields.length === 6 && fields.every((field) => /^[\d*?,/\-A-Za-z]+$/.test(field));
}
