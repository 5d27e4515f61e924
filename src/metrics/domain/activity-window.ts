/** Length of a metrics window: fixed 4-hour windows aligned to UTC midnight. */
export const WINDOW_MS = 4 * 60 * 60 * 1000;

/**
 * A fixed 4-hour UTC window `[start, start + 4h)`: 00:00–04:00, 04:00–08:00, … 20:00–24:00.
 * Boundaries are computed here, from instants, never taken from when a trigger fired, so an
 * event always belongs to exactly one window.
 */
export class ActivityWindow {
  private constructor(readonly start: Date) {}

  /** The window that contains `instant` (an instant on a boundary starts the next window). */
  static containing(instant: Date): ActivityWindow {
    return new ActivityWindow(new Date(Math.floor(instant.getTime() / WINDOW_MS) * WINDOW_MS));
  }

  /** The window starting exactly at `start`; throws if `start` is not on a boundary. */
  static startingAt(start: Date): ActivityWindow {
    if (start.getTime() % WINDOW_MS !== 0) throw new Error(`${start.toISOString()} is not a window boundary`);
    return new ActivityWindow(new Date(start.getTime()));
  }

  /** Every window that overlaps the half-open range `[from, till)`, in order. */
  static overlapping(from: Date, till: Date): ActivityWindow[] {
    const windows: ActivityWindow[] = [];
    for (let w = ActivityWindow.containing(from); w.start < till; w = w.next()) windows.push(w);
    return windows;
  }

  get end(): Date {
    return new Date(this.start.getTime() + WINDOW_MS);
  }

  /** Sequence number of the window since the Unix epoch (a stable key, e.g. for locks). */
  get index(): number {
    return this.start.getTime() / WINDOW_MS;
  }

  previous(): ActivityWindow {
    return new ActivityWindow(new Date(this.start.getTime() - WINDOW_MS));
  }

  next(): ActivityWindow {
    return new ActivityWindow(this.end);
  }

  contains(instant: Date): boolean {
    return instant >= this.start && instant < this.end;
  }

  /** A window has ended once `now` reaches its (exclusive) end. */
  hasEnded(now: Date): boolean {
    return this.end.getTime() <= now.getTime();
  }

  equals(other: ActivityWindow): boolean {
    return this.start.getTime() === other.start.getTime();
  }
}
