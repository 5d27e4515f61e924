import { computeUserActivity, SESSION_GAP_MS } from './user-activity';

const T = Date.parse('2025-10-23T12:00:00.000Z');
const ev = (userId: string, action: string, offsetMs: number) => ({ userId, action, occurredAt: new Date(T + offsetMs) });
const MIN = 60_000;

describe('computeUserActivity', () => {
  it('counts events, actions and the first and last event of each user', () => {
    const [u] = computeUserActivity([ev('321', 'test_action', 67 * MIN), ev('321', 'login', 0), ev('321', 'test_action', 10 * MIN)]);
    expect(u).toMatchObject({
      userId: '321',
      eventCount: 3,
      distinctActions: 2,
      actionCounts: { test_action: 2, login: 1 },
      firstEventAt: new Date(T),
      lastEventAt: new Date(T + 67 * MIN),
    });
  });

  it('continues a session across a gap of exactly 30 minutes and splits it after 30 min + 1 ms', () => {
    const exact = computeUserActivity([ev('a', 'x', 0), ev('a', 'x', SESSION_GAP_MS)]);
    expect(exact[0]).toMatchObject({ sessionCount: 1, activeMs: SESSION_GAP_MS });
    const beyond = computeUserActivity([ev('a', 'x', 0), ev('a', 'x', SESSION_GAP_MS + 1)]);
    expect(beyond[0]).toMatchObject({ sessionCount: 2, activeMs: 0 });
  });

  it('adds nothing for a one-event session and sums (last − first) over sessions', () => {
    // sessions: [0, 10min], [50min] alone, [100min, 100min+20.5s]
    const [u] = computeUserActivity([
      ev('a', 'x', 0),
      ev('a', 'y', 10 * MIN),
      ev('a', 'x', 50 * MIN),
      ev('a', 'z', 100 * MIN),
      ev('a', 'x', 100 * MIN + 20_500),
    ]);
    expect(u.sessionCount).toBe(3);
    expect(u.activeMs).toBe(10 * MIN + 20_500);
    expect(u.activeMs / 1000).toBe(620.5);
  });

  it('handles a single event and equal timestamps', () => {
    expect(computeUserActivity([ev('a', 'x', 5)])[0]).toMatchObject({ eventCount: 1, sessionCount: 1, activeMs: 0 });
    expect(computeUserActivity([ev('a', 'x', 5), ev('a', 'x', 5), ev('a', 'y', 5)])[0]).toMatchObject({
      eventCount: 3,
      sessionCount: 1,
      activeMs: 0,
      actionCounts: { x: 2, y: 1 },
    });
  });

  it('keeps users apart and orders them by byte order', () => {
    const rows = computeUserActivity([ev('b', 'x', 0), ev('B', 'x', 0), ev('a', 'x', 0), ev('a', 'x', 45 * MIN)]);
    expect(rows.map((r) => r.userId)).toEqual(['B', 'a', 'b']);
    expect(rows.find((r) => r.userId === 'a')!.sessionCount).toBe(2);
    expect(computeUserActivity([])).toEqual([]);
  });
});
