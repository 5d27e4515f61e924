import { ActivityWindow } from './activity-window';

export type Trigger = 'cron' | 'http' | 'cli';
export type WindowStatus = 'open' | 'pending' | 'computed' | 'stale';
export const WINDOW_STATUSES: readonly WindowStatus[] = ['open', 'pending', 'computed', 'stale'];

/**
 * The ledger entry of a window that has events. `version` grows with every write of events
 * into the window (in the same transaction as the events); `computedVersion` is the version
 * the last computation had seen. A computation reads the version *before* the events, so a
 * concurrent write can only make the entry look older than it is — never fresher.
 */
export interface WindowLedgerEntry {
  window: ActivityWindow;
  version: number;
  computedVersion: number | null;
  users: number | null;
  events: number | null;
  computedAt: Date | null;
  trigger: Trigger | null;
  durationMs: number | null;
  computations: number;
}

export function windowStatus(entry: Pick<WindowLedgerEntry, 'window' | 'version' | 'computedVersion'>, now: Date): WindowStatus {
  if (!entry.window.hasEnded(now)) return 'open';
  if (entry.computedVersion === null) return 'pending';
  return entry.computedVersion < entry.version ? 'stale' : 'computed';
}

/** A window a run intends to compute, with the ledger's computation count when it was found. */
export interface WindowCandidate {
  window: ActivityWindow;
  computations: number;
}

export interface ComputeDecision {
  /** A backfill recomputes whatever the state. */
  force: boolean;
  /** `computations` of the window when this run found it (0 when it had no ledger entry). */
  seenComputations: number;
  /**
   * When the run was asked for (before it waited behind other runs of its process): a backfill
   * skips a window computed after this instant and up to date since (within the same
   * millisecond the order is unknown, so it recomputes).
   */
  requestedAt?: Date;
}

/**
 * Decided under the window's lock, so a run that waited for another sees its result: it
 * skips a window that is already up to date — unless it is a backfill, which skips only what
 * another run computed after this one started: since it found the window (the ledger's count
 * moved), or after it was asked for (the ledger's `computedAt`, which covers the time
 * it waited behind other runs before finding its windows). Replicas compare the clocks of
 * the machines that computed: a skew of milliseconds can only make a backfill skip a
 * computation that many milliseconds older, which is up to date all the same.
 */
export function needsComputation(
  entry: (Pick<WindowLedgerEntry, 'version' | 'computedVersion' | 'computations'> & { computedAt?: Date | null }) | null,
  decision: ComputeDecision,
): boolean {
  const upToDate = entry !== null && entry.computedVersion !== null && entry.computedVersion >= entry.version;
  if (!upToDate) return true;
  if (!decision.force) return false;
  if (entry.computations !== decision.seenComputations) return false;
  const computedAt = entry.computedAt;
  return !(decision.requestedAt && computedAt && computedAt.getTime() > decision.requestedAt.getTime());
}
