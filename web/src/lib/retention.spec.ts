import { cohortLabel, heatLegend, heatLevel, heatRows, offsetLabel, periodStartOf, retentionDays } from './retention';

describe('retention heat map', () => {
  it('steps fractions into five colour levels, zero and "no users" apart', () => {
    expect([0, 0.01, 0.2, 0.2001, 0.4, 0.59, 0.8, 0.81, 1].map(heatLevel)).toEqual([0, 1, 1, 2, 2, 3, 4, 5, 5]);
    expect(heatLevel(null)).toBeNull();
    expect(heatLegend().map((l) => l.label)).toEqual(['0%', 'up to 20%', '20–40%', '40–60%', '60–80%', '80–100%']);
  });

  it('names cohorts and offsets by their period', () => {
    expect(cohortLabel('day', '2026-11-24')).toBe('24 Nov 2026');
    expect(cohortLabel('week', '2026-11-23')).toBe('Week of 23 Nov 2026');
    expect(cohortLabel('month', '2026-11-01')).toBe('Nov 2026');
    expect(offsetLabel('week', 0)).toBe('Week 0');
  });

  it('makes rows of equal width: a cohort past the range has empty cells; a cohort without users shows a dash', () => {
    const { offsets, rows } = heatRows('week', [
      { period_start: '2026-11-02', users: 40, active: [40, 12, 3], fraction: [1, 0.3, 0.075] },
      { period_start: '2026-11-09', users: 0, active: [0, 0], fraction: [null, null] },
      { period_start: '2026-11-16', users: 7, active: [7], fraction: [1] },
    ]);
    expect(offsets).toEqual([0, 1, 2]);
    expect(rows.map((r) => [r.label, r.users, ...r.cells.map((c) => c.text)])).toEqual([
      ['Week of 2 Nov 2026', 40, '100%', '30%', '7.5%'],
      ['Week of 9 Nov 2026', 0, '–', '–', ''],
      ['Week of 16 Nov 2026', 7, '100%', '', ''],
    ]);
    expect(rows[0].cells.map((c) => c.level)).toEqual([5, 2, 1]);
    expect(rows[0].cells[1].description).toBe('12 of 40 users active in week 1 (30%)');
    expect(rows[1].cells[0]).toMatchObject({ active: 0, level: null, description: '0 of 0 users active in week 0 (no users in this cohort)' });
    expect(rows[2].cells[2]).toMatchObject({ active: null, level: null, description: 'Week 2 is after the range' });
    expect(heatRows('day', [])).toEqual({ offsets: [], rows: [] });
  });

  it("asks for the periods starting in the range: from moved back to its period's start, till the day after the last", () => {
    const days = { from: '2026-11-05', to: '2026-11-30' }; // a Thursday … a Monday
    expect(retentionDays('day', days)).toEqual({ from: '2026-11-05', till: '2026-12-01' });
    expect(retentionDays('week', days)).toEqual({ from: '2026-11-02', till: '2026-12-01' });
    expect(retentionDays('month', days)).toEqual({ from: '2026-11-01', till: '2026-12-01' });
    expect(periodStartOf('week', '2026-11-02')).toBe('2026-11-02'); // a Monday stays
    expect(periodStartOf('week', '2026-11-08')).toBe('2026-11-02'); // Sunday: back to its Monday
    expect(periodStartOf('week', '2027-01-01')).toBe('2026-12-28');
  });
});
