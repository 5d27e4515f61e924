import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config';
import { redactUrl, resolveDatabase } from './shared/database/resolve-database';
import { createHttpApp, nestLogLevels } from './http-app';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const embeddedLogger = new Logger('EmbeddedPostgres');
  const initial = loadConfig();
  Logger.overrideLogger(nestLogLevels(initial.logLevel)); // until the JSON logger takes over
  const database = await resolveDatabase(
    initial,
    (line) => embeddedLogger.debug(line),
    (line) => embeddedLogger.log(line),
  );
  const { config } = database;

  let app: Awaited<ReturnType<typeof createHttpApp>>;
  try {
    app = await createHttpApp(config);
    await app.listen({ port: config.port, host: '0.0.0.0' });
  } catch (error) {
    await database.stop();
    throw error;
  }
  const where = database.dataDir ? ` (data in ${database.dataDir})` : '';
  logger.log(`${database.embedded ? 'embedded PostgreSQL' : 'database'}: ${redactUrl(config.databaseUrl!)}${where}`);
  logger.log(`listening on http://localhost:${config.port} (API docs at /docs)`);

  // Our own signal handling instead of enableShutdownHooks(): Nest re-raises the signal after
  // closing, which would end the process with 143 instead of a clean 0.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: finishing in-flight requests`);
    setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    try {
      await app.close(); // stops accepting, waits for in-flight requests, closes the pool
      await database.stop();
      logger.log('stopped');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  new Logger('Main').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
