import { isSiteId, normalizeOrigin, Scope, SCOPES } from '../../domain/api-key';

export const KEYS_USAGE = `Usage:
  npm run keys -- create --name <name> --scope <read|write|admin> [--json]
  npm run keys -- create --name <name> --scope ingest --site <site_id> [--origin <https://example.com> ...] [--json]
  npm run keys -- list [--json]
  npm run keys -- revoke <id> [--json]

Scopes: write records events, read lists events, metrics and analytics, admin does everything
(including POST /api/metrics). ingest is a public ingestion key, safe to publish in a web page:
it only records events, always for its --site, and browsers may use it only from its --origin
(scheme://host[:port], repeat for several; none: no browser use). The secret is printed once,
at creation; only its hash is kept.
Exit codes: 0 success, 1 runtime failure (database unreachable, unknown id), 2 bad arguments.`;

export type KeysArgs =
  | { kind: 'create'; name: string; scope: Scope; site: string | null; origins: string[]; json: boolean }
  | { kind: 'list'; json: boolean }
  | { kind: 'revoke'; id: string; json: boolean }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export function parseKeysArgs(argv: string[]): KeysArgs {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const [command, ...args] = rest;
  if (command === undefined || command === '--help' || command === 'help') return { kind: 'help' };
  if (command === 'list') return args.length === 0 ? { kind: 'list', json } : { kind: 'error', message: `unexpected "${args[0]}"` };
  if (command === 'revoke') {
    if (args.length !== 1 || !/^[0-9a-f-]{36}$/i.test(args[0])) return { kind: 'error', message: 'revoke needs the id of a key (a UUID)' };
    return { kind: 'revoke', id: args[0].toLowerCase(), json };
  }
  if (command === 'create') {
    const values: Record<string, string> = {};
    const origins: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const match = /^--(name|scope|site|origin)(?:=(.*))?$/.exec(args[i]);
      if (!match) return { kind: 'error', message: `unknown argument "${args[i]}"` };
      const value = match[2] ?? args[++i];
      if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `--${match[1]} needs a value` };
      if (match[1] === 'origin') {
        const origin = normalizeOrigin(value);
        if (origin === null) {
          return { kind: 'error', message: `--origin "${value}" is not an origin: write scheme://host[:port] with http or https and no path, e.g. https://www.example.com` };
        }
        if (!origins.includes(origin)) origins.push(origin);
      } else if (values[match[1]] !== undefined) {
        return { kind: 'error', message: `--${match[1]} is given twice` };
      } else values[match[1]] = value;
    }
    if (!values.name || values.name.length > 100) return { kind: 'error', message: '--name is required (1 to 100 characters)' };
    if (!SCOPES.includes(values.scope as Scope)) return { kind: 'error', message: `--scope must be one of ${SCOPES.join(', ')}` };
    const scope = values.scope as Scope;
    if (scope !== 'ingest') {
      if (values.site !== undefined || origins.length > 0) return { kind: 'error', message: '--site and --origin are only for --scope ingest' };
      return { kind: 'create', name: values.name, scope, site: null, origins: [], json };
    }
    if (values.site === undefined) return { kind: 'error', message: '--scope ingest needs --site <site_id>: the site its events are recorded for' };
    if (!isSiteId(values.site)) return { kind: 'error', message: '--site must be 1 to 128 characters, without control characters' };
    return { kind: 'create', name: values.name, scope, site: values.site, origins, json };
  }
  return { kind: 'error', message: `unknown command "${command}"` };
}
