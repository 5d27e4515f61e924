import { CommandBus } from '@nestjs/cqrs';
import { ComputeActivityMetricsCommand } from '../src/metrics/application/compute-activity-metrics';
import { parseCliArgs, USAGE } from '../src/metrics/ports/cli/cli-args';
import { ComputedWindowResponse } from '../src/metrics/ports/http/metrics.responses';
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
  });
}

runCli(() => main(process.argv.slice(2)), 'metrics computation failed: ');
