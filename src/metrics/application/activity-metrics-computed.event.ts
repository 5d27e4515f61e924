import { Trigger } from '../domain/window-ledger';

/** Published after every run of the metrics command, whoever triggered it. */
export class ActivityMetricsComputed {
  constructor(
    readonly trigger: Trigger,
    readonly windows: number,
    readonly durationMs: number,
  ) {}
}
