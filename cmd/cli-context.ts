import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { ConfigError, loadConfig } from '../src/config';
import { resolveDatabase } from '../src/shared/database/resolve-database';
import { ValidationFailedError } from '../src/shared/errors';

/** Thrown for a bad configuration or bad arguments: exit code 2. */
export class UsageError extends Error {}

/**
 * Runs `work` in a Nest application context (no HTTP server, no cron) on DATABASE_URL or the
 * embedded database of `npm start` (joined when it runs, started and stopped otherwise).
 */
export async function withAppContext<T>(name: string, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  let config;
  try {
    config = { ...loadConfig(), metricsCronEnabled: false };
  } catch (error) {
    throw new UsageError(error instanceof ConfigError ? error.message : String(error));
  }
  const database = await resolveDatabase(config, () => undefined);
  try {
    const app = await NestFactory.createApplicationContext(
      AppModule.forRoot(database.config, { http: false, retryAttempts: 0, applicationName: name }),
      { logger: false, abortOnError: false },
    );
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  } finally {
    await database.stop();
  }
}

/** Exit codes shared by the CLIs: 0 success, 1 runtime failure (one line, no stack), 2 bad usage. */
export function runCli(main: () => Promise<number>, failurePrefix = ''): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof ValidationFailedError) {
        console.error(error instanceof UsageError ? error.message : `error: ${error.message}`);
        process.exit(2);
      }
      const message = error instanceof Error ? error.message : String(error);
      console.error(`error: ${failurePrefix}${message.split('\n')[0]}`);
      process.exit(1);
    },
  );
}
