/** A new session starts after more than this much inactivity. */
export const SESSION_GAP_MS = 30 * 60 * 1000;

export interface ActivityEvent {
  userId: string;
  action: string;
  occurredAt: Date;
}

/** The activity of one user in one window, as defined in API.md. */
export interface UserActivity {
  userId: string;
  eventCount: number;
  distinctActions: number;
  actionCounts: Record<string, number>;
  firstEventAt: Date;
  lastEventAt: Date;
  sessionCount: number;
  /** Sum over sessions of (last − first), in whole milliseconds; API shows it as seconds. */
  activeMs: number;
}

/**
 * THE definition of the metrics: the reference the SQL computation is tested against.
 * Events of one window in, one entry per user out (ordered by user id, byte order).
 * Sessions: sort a user's events by time; a session starts at the first event and at every
 * event more than 30 minutes after the previous one (exactly 30 minutes continues it).
 */
export function computeUserActivity(events: ActivityEvent[]): UserActivity[] {
  const byUser = new Map<string, ActivityEvent[]>();
  for (const event of events) {
    const list = byUser.get(event.userId) ?? [];
    list.push(event);
    byUser.set(event.userId, list);
  }
  const result: UserActivity[] = [];
  for (const [userId, list] of byUser) {
    const times = list.map((e) => e.occurredAt.getTime()).sort((a, b) => a - b);
    const actionCounts: Record<string, number> = {};
    for (const event of list) actionCounts[event.action] = (actionCounts[event.action] ?? 0) + 1;
    let sessionCount = 1;
    let activeMs = 0;
    let sessionStart = times[0];
    for (let i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] > SESSION_GAP_MS) {
        activeMs += times[i - 1] - sessionStart;
        sessionStart = times[i];
        sessionCount++;
      }
    }
    activeMs += times[times.length - 1] - sessionStart;
    result.push({
      userId,
      eventCount: list.length,
      distinctActions: Object.keys(actionCounts).length,
      actionCounts,
      firstEventAt: new Date(times[0]),
      lastEventAt: new Date(times[times.length - 1]),
      sessionCount,
      activeMs,
    });
  }
  return result.sort((a, b) => compareBytes(a.userId, b.userId));
}

/** Orders strings by their UTF-8 bytes, as PostgreSQL's "C" collation does. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
