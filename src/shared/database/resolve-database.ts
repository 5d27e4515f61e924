import { AppConfig } from '../../config';
import { startEmbeddedPostgres } from './embedded-postgres';

export const EMBEDDED_DATABASE_NAME = 'tracking';

export interface ResolvedDatabase {
  /** The configuration with `databaseUrl` always set. */
  config: AppConfig;
  /** True when an embedded server is in use. */
  embedded: boolean;
  /** The embedded server's data folder, when this process started it. */
  dataDir?: string;
  /** Stops the embedded server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

/**
 * With DATABASE_URL, uses that server and starts nothing. Without it, starts (or joins, when
 * another process of ours already runs it) the embedded PostgreSQL in EMBEDDED_PG_DIR.
 */
export async function resolveDatabase(
  config: AppConfig,
  log: (line: string) => void,
  notice: (line: string) => void = () => undefined,
): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { config, embedded: false, stop: async () => undefined };
  const server = await startEmbeddedPostgres({
    dir: config.embeddedPgDir,
    port: config.embeddedPgPort,
    database: EMBEDDED_DATABASE_NAME,
    log,
    notice,
  });
  return {
    config: { ...config, databaseUrl: server.url },
    embedded: true,
    dataDir: server.dataDir,
    stop: () => server.stop(),
  };
}

/** The URL with its password masked, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
