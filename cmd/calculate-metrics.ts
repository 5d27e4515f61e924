import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { AppModule } from '../src/app.module';
import { ConfigError, loadConfig } from '../src/config';
import { ComputeActivityMetricsCommand } from '../src/metrics/application/compute-activity-metrics';
import { parseCliArgs, USAGE } from '../src/metrics/ports/cli/cli-args';
import { ComputedWindowResponse } from '../src/metrics/ports/http/metrics.dto';
import { resolveDatabase } from '../src/shared/database/resolve-database';
import { ValidationFailedError } from '../src/shared/errors';

/**
 * `npm run metrics:calculate`: the metrics job as a standalone process (a Kubernetes CronJob,
 * a shell, a system cron). A Nest application context, no HTTP server; it dispatches the same
 * command as the HTTP route and the in-process cron.
 */
async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (args.kind === 'error') {
    console.error(`error: ${args.message}\n\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = { ...loadConfig(), metricsCronEnabled: false };
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : String(error));
    return 2;
  }

  const database = await resolveDatabase(config, () => undefined);
  try {
    const app = await NestFactory.createApplicationContext(
      AppModule.forRoot(database.config, { http: false, retryAttempts: 0, applicationName: 'tracking-metrics-cli' }),
      { logger: false, abortOnError: false },
    );
    try {
      const started = Date.now();
      const result = await app.get(CommandBus).execute(new ComputeActivityMetricsCommand('cli', args.range));
      const windows = result.windows.map(ComputedWindowResponse.from);
      if (args.json) {
        console.log(JSON.stringify({ windows }));
      } else if (windows.length === 0) {
        console.log('Nothing to compute: every ended window is up to date.');
      } else {
        console.log(`Computed ${windows.length} window(s) in ${Date.now() - started} ms:`);
        for (const w of windows) console.log(`  ${w.window_start} – ${w.window_end}  ${w.users} users, ${w.events} events`);
      }
      return 0;
    } finally {
      await app.close();
    }
  } finally {
    await database.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ValidationFailedError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    // One line, no stack: an operator reads this in a CronJob's log.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: metrics computation failed: ${message.split('\n')[0]}`);
    process.exit(1);
  },
);
