import { isPreset, parseDay, previousRange, rangeDays, resolveRange } from './date-range';

const NOW = new Date('2026-11-30T14:05:00Z');
const iso = (range: { from: Date; till: Date }) => ({ from: range.from.toISOString(), till: range.till.toISOString() });

describe('date presets', () => {
  it('today is the whole UTC day, tomorrow excluded', () => {
    expect(iso(resolveRange('today', NOW))).toEqual({ from: '2026-11-30T00:00:00.000Z', till: '2026-12-01T00:00:00.000Z' });
  });

  it('last 24 hours ends now', () => {
    expect(iso(resolveRange('24h', NOW))).toEqual({ from: '2026-11-29T14:05:00.000Z', till: '2026-11-30T14:05:00.000Z' });
  });

  it('last N days are N whole days including today', () => {
    expect(iso(resolveRange('7d', NOW))).toEqual({ from: '2026-11-24T00:00:00.000Z', till: '2026-12-01T00:00:00.000Z' });
    expect(rangeDays(resolveRange('30d', NOW))).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(rangeDays(resolveRange('90d', NOW))).toEqual({ from: '2026-09-02', to: '2026-11-30' });
  });

  it('this month runs from its first day to the end of today', () => {
    expect(rangeDays(resolveRange('month', new Date('2026-03-01T00:30:00Z')))).toEqual({ from: '2026-03-01', to: '2026-03-01' });
    expect(rangeDays(resolveRange('month', NOW))).toEqual({ from: '2026-11-01', to: '2026-11-30' });
  });

  it('a custom range covers its first and last day whole, in either order; a bad day falls back', () => {
    expect(iso(resolveRange('custom', NOW, { from: '2026-02-27', to: '2026-03-01' }))).toEqual({ from: '2026-02-27T00:00:00.000Z', till: '2026-03-02T00:00:00.000Z' });
    expect(rangeDays(resolveRange('custom', NOW, { from: '2026-03-01', to: '2026-02-27' }))).toEqual({ from: '2026-02-27', to: '2026-03-01' });
    expect(rangeDays(resolveRange('custom', NOW, { from: '2026-02-30' }))).toEqual({ from: '2026-11-30', to: '2026-11-30' });
  });

  it('the previous period has the same length and ends where the range starts', () => {
    const range = resolveRange('7d', NOW);
    expect(iso(previousRange(range))).toEqual({ from: '2026-11-17T00:00:00.000Z', till: '2026-11-24T00:00:00.000Z' });
    const day = previousRange(resolveRange('24h', NOW));
    expect(day.till.getTime() - day.from.getTime()).toBe(86_400_000);
  });

  it('parses only real calendar days, and only known presets', () => {
    expect(parseDay('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDay('2025-02-29')).toBeNull();
    expect(parseDay('2025-2-1')).toBeNull();
    expect(isPreset('7d')).toBe(true);
    expect(isPreset('8d')).toBe(false);
  });
});

describe('date presets in a time zone', () => {
  const zoned = (preset: Parameters<typeof resolveRange>[0], now: Date, zone: string, custom?: { from?: string; to?: string }) =>
    iso(resolveRange(preset, now, custom, zone));

  it('today and the last N days are local days of the zone', () => {
    // 14:05 UTC on 30 Nov is already 1 Dec in Kiritimati (UTC+14) and still 30 Nov in Los Angeles.
    expect(zoned('today', NOW, 'Pacific/Kiritimati')).toEqual({ from: '2026-11-30T10:00:00.000Z', till: '2026-12-01T10:00:00.000Z' });
    expect(zoned('today', NOW, 'America/Los_Angeles')).toEqual({ from: '2026-11-30T08:00:00.000Z', till: '2026-12-01T08:00:00.000Z' });
    expect(zoned('7d', NOW, 'Asia/Kathmandu')).toEqual({ from: '2026-11-23T18:15:00.000Z', till: '2026-11-30T18:15:00.000Z' });
    expect(rangeDays(resolveRange('7d', NOW, undefined, 'Asia/Kathmandu'), 'Asia/Kathmandu')).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(zoned('24h', NOW, 'Asia/Kathmandu')).toEqual(zoned('24h', NOW, 'UTC'));
  });

  it('this month and a custom range start at local midnights', () => {
    expect(zoned('month', NOW, 'Asia/Jakarta')).toEqual({ from: '2026-10-31T17:00:00.000Z', till: '2026-11-30T17:00:00.000Z' });
    expect(zoned('custom', NOW, 'Europe/London', { from: '2026-03-28', to: '2026-03-29' })).toEqual({
      from: '2026-03-28T00:00:00.000Z',
      till: '2026-03-29T23:00:00.000Z', // 30 March starts at 00:00 BST
    });
  });

  it('compares whole local days with as many local days before, across a DST change', () => {
    const range = resolveRange('custom', NOW, { from: '2026-04-01', to: '2026-04-07' }, 'Europe/London');
    // The week before holds 29 March (23 hours): equal days, not equal hours (those would start 24 March, 23:00Z).
    expect(iso(previousRange(range, 'Europe/London'))).toEqual({ from: '2026-03-25T00:00:00.000Z', till: '2026-03-31T23:00:00.000Z' });
    expect(rangeDays(previousRange(range, 'Europe/London'), 'Europe/London')).toEqual({ from: '2026-03-25', to: '2026-03-31' });
  });
});
