import { formatChange, formatCompact, formatDuration, formatExact, formatPercent } from './format';

describe('numbers for people', () => {
  it('shortens large figures and keeps small ones exact', () => {
    expect(formatCompact(0)).toBe('0');
    expect(formatCompact(999)).toBe('999');
    expect(formatCompact(1234)).toBe('1.2K');
    expect(formatCompact(1_500_000)).toBe('1.5M');
    expect(formatCompact(-2500)).toBe('-2.5K');
    expect(formatExact(1234567)).toBe('1,234,567');
  });

  it('writes fractions as percentages with one decimal under 10%', () => {
    expect(formatPercent(0.3412)).toBe('34%');
    expect(formatPercent(0.0042)).toBe('0.4%');
    expect(formatPercent(0.05)).toBe('5%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
  });

  it('measures the change against the previous period, new when there was nothing before', () => {
    expect(formatChange(134, 100)).toMatchObject({ text: '+34%', direction: 'up' });
    expect(formatChange(88, 100)).toMatchObject({ text: '−12%', direction: 'down' });
    expect(formatChange(100, 100)).toMatchObject({ text: 'no change', direction: 'flat' });
    expect(formatChange(5, 0)).toMatchObject({ text: 'new', direction: 'new' });
    expect(formatChange(0, 0)).toMatchObject({ text: 'no change', direction: 'flat' });
    expect(formatChange(1200, 1000).description).toBe('1,200 against 1,000 in the previous period');
  });

  it('writes durations in the unit a person reads', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(245_000)).toBe('4 min 5 s');
    expect(formatDuration(7_380_000)).toBe('2 h 3 min');
  });
});
