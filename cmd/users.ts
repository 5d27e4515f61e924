import { CommandBus } from '@nestjs/cqrs';
import { EraseUserCommand, ErasureResult } from '../src/erasure/application/erase-user';
import { parseUsersArgs, USERS_USAGE } from '../src/erasure/ports/cli/users-args';
import { runCli, withAppContext } from './cli-context';

/** `npm run users`: erase a user (DATABASE_URL or the embedded database). */
async function main(argv: string[]): Promise<number> {
  const args = parseUsersArgs(argv);
  if (args.kind === 'help') {
    console.log(USERS_USAGE);
    return 0;
  }
  if (args.kind === 'error') {
    console.error(`error: ${args.message}\n\n${USERS_USAGE}`);
    return 2;
  }
  return withAppContext('tracking-users-cli', async (app) => {
    const result: ErasureResult = await app.get(CommandBus).execute(new EraseUserCommand(args.userId, 'cli'));
    const view = {
      erasure_id: result.id,
      erased_at: result.erasedAt.toISOString(),
      user_hash: result.userHash,
      events: result.events,
      metric_rows: result.metricRows,
      windows: result.windows,
    };
    if (args.json) console.log(JSON.stringify(view));
    else {
      console.log(
        `Erased: ${view.events} events, ${view.metric_rows} metric rows, ${view.windows} windows corrected.\n` +
          `Recorded as erasure ${view.erasure_id}${view.user_hash ? ` (user hash ${view.user_hash})` : ' (no ERASURE_HASH_KEY: the record names no user)'}.`,
      );
    }
    return 0;
  });
}

runCli(() => main(process.argv.slice(2)));
