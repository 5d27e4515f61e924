import { CommandBus } from '@nestjs/cqrs';
import { ComputeActivityMetricsCommand } from '../src/metrics/application/compute-activity-metrics';
import { parseCliArgs, USAGE } from '../src/metrics/ports/cli/cli-args';
import { formatRun } from '../src/metrics/ports/cli/cli-output';
import { runCli, withAppContext } from './cli-context';

/**
 * `npm run metrics:calculate`: the metrics job as a standalone process (a Kubernetes CronJob,
 * a shell, a system cron). It dispatches the same command as the HTTP route and the cron.
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
  return withAppContext('tracking-metrics-cli', async (app) => {
    const started = Date.now();
    const result = await app.get(CommandBus).execute(new ComputeActivityMetricsCommand('cli', args.range));
    for (const line of formatRun(result.windows, { json: args.json, elapsedMs: Date.now() - started })) console.log(line);
    return 0;
  });
}

runCli(() => main(process.argv.slice(2)), 'metrics computation failed: ');
