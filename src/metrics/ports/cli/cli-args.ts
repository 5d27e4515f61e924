import { parseInstant } from '../../../shared/time';

export const USAGE = `Usage: npm run metrics:calculate -- [--from ISO --till ISO] [--json]

Computes the 4-hour user activity metrics, exactly like POST /api/metrics.
  (no range)            every ended window that is pending or stale
  --from ISO --till ISO  recompute every ended window overlapping [from, till) (backfill)
  --json                 print one JSON object instead of a summary
  --help                 show this text

Exit codes: 0 success, 1 runtime failure (e.g. database unreachable), 2 bad arguments.
Uses DATABASE_URL, or the embedded PostgreSQL of \`npm start\` when it is unset.`;

export type CliArgs =
  | { kind: 'help' }
  | { kind: 'run'; json: boolean; range?: { from: Date; till: Date } }
  | { kind: 'error'; message: string };

/** Parses the CLI's arguments; every mistake is an error (exit code 2), never a guess. */
export function parseCliArgs(argv: string[]): CliArgs {
  let json = false;
  const values: Record<'from' | 'till', string | undefined> = { from: undefined, till: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--json') {
      json = true;
      continue;
    }
    const match = /^--(from|till)(?:=(.*))?$/.exec(arg);
    if (!match) return { kind: 'error', message: `unknown argument "${arg}"` };
    const name = match[1] as 'from' | 'till';
    const value = match[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `--${name} needs a value` };
    if (values[name] !== undefined) return { kind: 'error', message: `--${name} given twice` };
    values[name] = value;
  }
  if ((values.from === undefined) !== (values.till === undefined)) {
    return { kind: 'error', message: '--from and --till go together' };
  }
  if (values.from === undefined || values.till === undefined) return { kind: 'run', json };
  const from = parseInstant(values.from);
  const till = parseInstant(values.till);
  if (!from) return { kind: 'error', message: `--from must be an ISO-8601 date-time with a time zone (got "${values.from}")` };
  if (!till) return { kind: 'error', message: `--till must be an ISO-8601 date-time with a time zone (got "${values.till}")` };
  return { kind: 'run', json, range: { from, till } };
}
