import { ActivityWindow } from './activity-window';
import { UserActivity } from './user-activity';
import { ComputeDecision, Trigger, WindowCandidate, WindowLedgerEntry, WindowStatus } from './window-ledger';

export interface WindowComputation {
  window: ActivityWindow;
  users: number;
  events: number;
}

export interface ComputeOptions extends ComputeDecision {
  trigger: Trigger;
}

export interface StoredUserActivity extends UserActivity {
  window: ActivityWindow;
  computedAt: Date;
}

export interface MetricsQuery {
  userId?: string;
  /** Windows overlapping [from, till). */
  from?: Date;
  till?: Date;
  limit: number;
  after?: { windowStart: Date; userId: string };
}

export interface WindowsQuery {
  from?: Date;
  till?: Date;
  status?: WindowStatus;
  now: Date;
  limit: number;
  /** By window_start: oldest first (the default) or newest first. */
  order?: 'asc' | 'desc';
  /** The window_start of the last row already served: only rows after it in `order`. */
  afterWindowStart?: Date;
}

/** The port for the 4-hour metrics: the window ledger, the computation and the read side. */
export abstract class ActivityMetricsRepository {
  /** Ended windows (at `now`) that were never computed or went stale, oldest first. */
  abstract findWindowsToCompute(now: Date): Promise<WindowCandidate[]>;

  /** Ended windows overlapping [from, till) that have events or metric rows, oldest first. */
  abstract findWindowsInRange(from: Date, till: Date, now: Date): Promise<WindowCandidate[]>;

  /**
   * Computes one window atomically under an exclusive per-window lock (across processes):
   * decides with `needsComputation` once the lock is held, replaces the window's metric rows
   * as a whole and records the computation in the ledger. Null when skipped.
   */
  abstract computeWindow(window: ActivityWindow, options: ComputeOptions): Promise<WindowComputation | null>;

  /** Ordered by window start, then user id (byte order). */
  abstract listMetrics(query: MetricsQuery): Promise<StoredUserActivity[]>;

  /** Every row listMetrics would list with no limit, in its order, read lazily (one snapshot; stopping early releases what it holds). */
  abstract exportMetrics(query: Omit<MetricsQuery, 'limit' | 'after'>): AsyncIterable<StoredUserActivity>;

  /** Ledger entries ordered by window start. */
  abstract listWindows(query: WindowsQuery): Promise<WindowLedgerEntry[]>;
}
