import { WindowComputation } from '../../domain/activity-metrics.repository';

/** One computed window as `--json` prints it (the same fields as the HTTP run response). */
interface ComputedWindowOutput {
  window_start: string;
  window_end: string;
  users: number;
  events: number;
  status: 'computed';
}

function computedWindowOutput(c: WindowComputation): ComputedWindowOutput {
  return {
    window_start: c.window.start.toISOString(),
    window_end: c.window.end.toISOString(),
    users: c.users,
    events: c.events,
    status: 'computed',
  };
}

/** What the CLI prints for a run: one JSON object with `--json`, else a short summary. */
export function formatRun(computed: WindowComputation[], options: { json: boolean; elapsedMs: number }): string[] {
  const windows = computed.map(computedWindowOutput);
  if (options.json) return [JSON.stringify({ windows })];
  if (windows.length === 0) return ['Nothing to compute: every ended window is up to date.'];
  return [
    `Computed ${windows.length} window(s) in ${options.elapsedMs} ms:`,
    ...windows.map((w) => `  ${w.window_start} – ${w.window_end}  ${w.users} users, ${w.events} events`),
  ];
}
