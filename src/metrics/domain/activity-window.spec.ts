import { ActivityWindow, WINDOW_MS } from './activity-window';

const at = (iso: string) => new Date(iso);
const startOf = (iso: string) => ActivityWindow.containing(at(iso)).start.toISOString();

describe('ActivityWindow', () => {
  it.each([
    ['2025-10-23T00:00:00.000Z', '2025-10-23T00:00:00.000Z'],
    ['2025-10-23T03:59:59.999Z', '2025-10-23T00:00:00.000Z'],
    ['2025-10-23T04:00:00.000Z', '2025-10-23T04:00:00.000Z'],
    ['2025-10-23T13:07:00.000Z', '2025-10-23T12:00:00.000Z'],
    ['2025-10-23T20:00:00.000Z', '2025-10-23T20:00:00.000Z'],
    ['2025-10-23T23:59:59.999Z', '2025-10-23T20:00:00.000Z'],
    ['2025-10-24T00:00:00.000Z', '2025-10-24T00:00:00.000Z'],
    ['1969-12-31T23:00:00.000Z', '1969-12-31T20:00:00.000Z'],
  ])('puts %s in the window starting %s', (instant, start) => {
    expect(startOf(instant)).toBe(start);
  });

  it('has the six UTC windows of a day, each 4 hours, half-open', () => {
    const day = ActivityWindow.overlapping(at('2025-10-23T00:00:00Z'), at('2025-10-24T00:00:00Z'));
    expect(day.map((w) => w.start.toISOString().slice(11, 16))).toEqual(['00:00', '04:00', '08:00', '12:00', '16:00', '20:00']);
    for (const w of day) expect(w.end.getTime() - w.start.getTime()).toBe(WINDOW_MS);
    const w = ActivityWindow.containing(at('2025-10-23T12:00:00Z'));
    expect(w.contains(at('2025-10-23T12:00:00.000Z'))).toBe(true);
    expect(w.contains(at('2025-10-23T15:59:59.999Z'))).toBe(true);
    expect(w.contains(at('2025-10-23T16:00:00.000Z'))).toBe(false);
    expect(w.contains(at('2025-10-23T11:59:59.999Z'))).toBe(false);
  });

  it('steps to the previous and next windows across midnight', () => {
    const last = ActivityWindow.containing(at('2025-10-23T22:00:00Z'));
    expect(last.next().start.toISOString()).toBe('2025-10-24T00:00:00.000Z');
    expect(last.next().previous().equals(last)).toBe(true);
    expect(ActivityWindow.containing(at('2025-01-01T01:00:00Z')).previous().start.toISOString()).toBe('2024-12-31T20:00:00.000Z');
  });

  it('has ended exactly when now reaches its end', () => {
    const w = ActivityWindow.containing(at('2025-10-23T13:00:00Z'));
    expect(w.hasEnded(at('2025-10-23T15:59:59.999Z'))).toBe(false);
    expect(w.hasEnded(at('2025-10-23T16:00:00.000Z'))).toBe(true);
  });

  it('lists the windows overlapping a range, partial edges included, till exclusive', () => {
    const starts = (from: string, till: string) =>
      ActivityWindow.overlapping(at(from), at(till)).map((w) => w.start.toISOString().slice(0, 16));
    expect(starts('2025-10-23T13:07:00Z', '2025-10-23T16:00:00Z')).toEqual(['2025-10-23T12:00']);
    expect(starts('2025-10-23T13:07:00Z', '2025-10-23T16:00:00.001Z')).toEqual(['2025-10-23T12:00', '2025-10-23T16:00']);
    expect(starts('2025-10-23T22:00:00Z', '2025-10-24T05:00:00Z')).toEqual(['2025-10-23T20:00', '2025-10-24T00:00', '2025-10-24T04:00']);
    expect(starts('2025-10-23T12:00:00Z', '2025-10-23T12:00:00Z')).toEqual([]);
  });

  it('accepts only boundaries as window starts and numbers windows from the epoch', () => {
    expect(() => ActivityWindow.startingAt(at('2025-10-23T13:00:00Z'))).toThrow();
    expect(ActivityWindow.startingAt(at('1970-01-01T08:00:00Z')).index).toBe(2);
  });
});
