import { fromLocalInput, toLocalInput } from './local-time';

describe('datetime-local values and ISO instants', () => {
  it('reads an input value in the local zone, as the browser means it', () => {
    expect(fromLocalInput('2026-11-30T14:05')).toBe(new Date(2026, 10, 30, 14, 5).toISOString());
    expect(fromLocalInput('2026-11-30T14:05:09')).toBe(new Date(2026, 10, 30, 14, 5, 9).toISOString());
  });

  it('refuses what is not a time: empty, partial, impossible days', () => {
    expect(fromLocalInput('')).toBeUndefined();
    expect(fromLocalInput('2026-11-30')).toBeUndefined();
    expect(fromLocalInput('2026-02-30T10:00')).toBeUndefined();
    expect(fromLocalInput('yesterday')).toBeUndefined();
  });

  it('shows an instant in the local zone, seconds only when there are any', () => {
    const local = new Date(2026, 10, 30, 14, 5);
    expect(toLocalInput(local.toISOString())).toBe('2026-11-30T14:05');
    expect(toLocalInput(new Date(2026, 0, 2, 3, 4, 5).toISOString())).toBe('2026-01-02T03:04:05');
    expect(toLocalInput(undefined)).toBe('');
    expect(toLocalInput('not a date')).toBe('');
  });

  it('round-trips: what the URL holds is what the input shows', () => {
    for (const iso of ['2026-11-30T14:05:00.000Z', '2025-03-30T01:30:15.000Z', '2024-02-29T23:59:59.000Z']) {
      expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    }
  });
});
