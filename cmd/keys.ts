import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateApiKeyCommand, ListApiKeysQuery, RevokeApiKeyCommand } from '../src/access/application/manage-api-keys';
import { ApiKey } from '../src/access/domain/api-key';
import { KEYS_USAGE, parseKeysArgs } from '../src/access/ports/cli/keys-args';
import { runCli, withAppContext } from './cli-context';

/** `npm run keys`: create, list and revoke API keys (DATABASE_URL or the embedded database). */
async function main(argv: string[]): Promise<number> {
  const args = parseKeysArgs(argv);
  if (args.kind === 'help') {
    console.log(KEYS_USAGE);
    return 0;
  }
  if (args.kind === 'error') {
    console.error(`error: ${args.message}\n\n${KEYS_USAGE}`);
    return 2;
  }
  return withAppContext('tracking-keys-cli', async (app) => {
    const commands = app.get(CommandBus);
    const view = (key: ApiKey) => ({
      id: key.id,
      name: key.name,
      scope: key.scope,
      site_id: key.siteId,
      origins: key.origins,
      created_at: key.createdAt.toISOString(),
      revoked_at: key.revokedAt?.toISOString() ?? null,
    });
    if (args.kind === 'create') {
      const { key, secret } = await commands.execute(new CreateApiKeyCommand(args.name, args.scope, args.site === null ? null : { siteId: args.site, origins: args.origins }));
      if (args.json) console.log(JSON.stringify({ ...view(key), secret }));
      else if (key.scope === 'ingest') {
        const from = key.origins.length > 0 ? `browsers on ${key.origins.join(', ')}` : 'no browser origin (add --origin to use it from a web page)';
        console.log(
          `Created public ingestion key ${key.id} "${key.name}": records events for site "${key.siteId}" only, from ${from}.\n\n  ${secret}\n\n` +
            'It may be published in a web page; it cannot read anything. Revoke it with `npm run keys -- revoke <id>`.',
        );
      } else console.log(`Created key ${key.id} "${key.name}" (scope ${key.scope}).\n\n  ${secret}\n\nStore it now: it is shown this once.`);
    } else if (args.kind === 'list') {
      const keys = (await app.get(QueryBus).execute(new ListApiKeysQuery())).map(view);
      if (args.json) console.log(JSON.stringify({ keys }));
      else if (keys.length === 0) console.log('No API keys: the service is open to anyone (unless REQUIRE_API_KEYS=true).');
      else {
        for (const k of keys) {
          const ingest = k.site_id === null ? '' : `  site=${k.site_id} origins=${k.origins.length > 0 ? k.origins.join(',') : '(none)'}`;
          console.log(`${k.id}  ${k.scope.padEnd(6)}  ${k.revoked_at ? 'revoked' : 'active '}  ${k.name}${ingest}`);
        }
      }
    } else {
      await commands.execute(new RevokeApiKeyCommand(args.id));
      console.log(args.json ? JSON.stringify({ id: args.id, revoked: true }) : `Revoked ${args.id}.`);
    }
    return 0;
  });
}

runCli(() => main(process.argv.slice(2)));
