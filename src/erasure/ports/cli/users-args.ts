export const USERS_USAGE = `Usage:
  npm run users -- erase <user_id> [--json]

erase deletes the user's events and metric rows and takes them out of every analytics figure,
in one transaction, and records the erasure (when, how much; the user only as an HMAC under
ERASURE_HASH_KEY, or not at all without it). Erasing a user with nothing stored succeeds too.
Exit codes: 0 success, 1 runtime failure (database unreachable), 2 bad arguments.`;

export type UsersArgs =
  | { kind: 'erase'; userId: string; json: boolean }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export function parseUsersArgs(argv: string[]): UsersArgs {
  // "--" ends the options, so a user id that starts with "--" can still be given.
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  const json = options.includes('--json');
  const rest = [...options.filter((a) => a !== '--json'), ...(end === -1 ? [] : argv.slice(end + 1))];
  const [command, ...args] = rest;
  if (command === undefined || command === '--help' || command === 'help') return { kind: 'help' };
  if (command === 'erase') {
    if (args.length !== 1) return { kind: 'error', message: 'erase needs exactly one user id' };
    return { kind: 'erase', userId: args[0], json };
  }
  return { kind: 'error', message: `unknown command "${command}"` };
}
