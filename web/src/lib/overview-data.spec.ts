import { resolveRange } from './date-range';
import { actionRows, activeMinutes, activeUserSeries, coversPartialDays, formatRange, formatWindow, siteLabel, siteOptions } from './overview-data';

const NOW = new Date('2026-11-30T14:05:00Z');

describe('range labels', () => {
  it('names whole days by their first and last day, one day once', () => {
    expect(formatRange(resolveRange('7d', NOW))).toBe('24 Nov 2026 – 30 Nov 2026');
    expect(formatRange(resolveRange('today', NOW))).toBe('30 Nov 2026');
    expect(formatRange(resolveRange('custom', NOW, { from: '2026-02-27', to: '2026-03-01' }))).toBe('27 Feb 2026 – 1 Mar 2026');
  });

  it('names a range inside days by its instants, in UTC', () => {
    expect(formatRange(resolveRange('24h', NOW))).toBe('29 Nov 2026, 14:05 – 30 Nov 2026, 14:05 UTC');
  });

  it('knows which ranges the daily chart can only show by the days they touch', () => {
    expect(coversPartialDays(resolveRange('24h', NOW))).toBe(true);
    expect(coversPartialDays(resolveRange('today', NOW))).toBe(false);
    expect(coversPartialDays(resolveRange('90d', NOW))).toBe(false);
  });

  it('names a 4-hour window, the last one of a day ending at 24:00', () => {
    expect(formatWindow('2025-10-23T12:00:00.000Z', '2025-10-23T16:00:00.000Z')).toBe('23 Oct 2025, 12:00 – 16:00 UTC');
    expect(formatWindow('2025-10-23T20:00:00.000Z', '2025-10-24T00:00:00.000Z')).toBe('23 Oct 2025, 20:00 – 24:00 UTC');
  });
});

describe('events by action', () => {
  it('ranks actions by events, ties by name, with each share of the total', () => {
    expect(actionRows({ click: 2, page_view: 6, buy: 2 })).toEqual([
      { action: 'page_view', events: 6, share: 0.6 },
      { action: 'buy', events: 2, share: 0.2 },
      { action: 'click', events: 2, share: 0.2 },
    ]);
    expect(actionRows({})).toEqual([]);
  });
});

describe('sites', () => {
  it('offers every named site in order, the selected one even without events, never "no site"', () => {
    const sites = [{ site_id: 'shop' }, { site_id: null }, { site_id: 'blog' }];
    expect(siteOptions(sites)).toEqual(['blog', 'shop']);
    expect(siteOptions(sites, 'shop')).toEqual(['blog', 'shop']);
    expect(siteOptions(sites, 'archive')).toEqual(['archive', 'blog', 'shop']);
    expect(siteLabel(null)).toBe('(no site)');
    expect(siteLabel('')).toBe('');
  });
});

describe('active users chart', () => {
  const day = (period_start: string, unique_users: number) => ({ period_start, unique_users });

  it('aligns DAU, WAU and MAU by day', () => {
    const series = activeUserSeries([day('2026-11-29', 3), day('2026-11-30', 1)], [day('2026-11-29', 5), day('2026-11-30', 6)], [day('2026-11-29', 9), day('2026-11-30', 9)]);
    expect(series).toEqual({ times: [Date.parse('2026-11-29T00:00:00Z'), Date.parse('2026-11-30T00:00:00Z')], dau: [3, 1], wau: [5, 6], mau: [9, 9] });
  });

  it('refuses answers over different days rather than mislabel a point', () => {
    expect(() => activeUserSeries([day('2026-11-29', 3)], [day('2026-11-30', 5)], [day('2026-11-29', 9)])).toThrow(/different days/);
    expect(() => activeUserSeries([day('2026-11-29', 3)], [], [day('2026-11-29', 9)])).toThrow(/different days/);
  });

  it('turns active seconds into minutes for the chart', () => {
    expect(activeMinutes(1260.5)).toBe(21.01);
    expect(activeMinutes(0)).toBe(0);
  });
});

describe('ranges named in a time zone', () => {
  const NOW = new Date('2026-11-30T14:05:00Z');
  it('names whole local days by their dates, other ranges by their local times and the zone', () => {
    expect(formatRange(resolveRange('7d', NOW, undefined, 'Pacific/Kiritimati'), 'Pacific/Kiritimati')).toBe('25 Nov 2026 – 1 Dec 2026');
    expect(formatRange(resolveRange('24h', NOW, undefined, 'Asia/Kathmandu'), 'Asia/Kathmandu')).toBe('29 Nov 2026, 19:50 – 30 Nov 2026, 19:50 Asia/Kathmandu');
    // Whole UTC days are not whole Kathmandu days.
    expect(coversPartialDays(resolveRange('7d', NOW), 'Asia/Kathmandu')).toBe(true);
    expect(coversPartialDays(resolveRange('7d', NOW, undefined, 'Asia/Kathmandu'), 'Asia/Kathmandu')).toBe(false);
  });
});
